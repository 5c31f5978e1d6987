// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_BENCH_STATEMENTMIX_H
#define QPSQLHA_BENCH_STATEMENTMIX_H

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qstringview.h>

#include <iterator>

// The statement mix both classifier benchmarks time (bench_classifier with QtTest, bench_ha for
// the benchmark report), so that their figures can be compared.
namespace QPsqlHaBench {

// What an application typically sends, reads and writes mixed, all under 200 characters.
inline constexpr QStringView statementMix[] = {
    u"SELECT id, name, email FROM users WHERE id = $1",
    u"SELECT * FROM orders WHERE customer_id = $1 AND status = 'open' ORDER BY created_at DESC "
    u"LIMIT 50",
    u"INSERT INTO events (kind, payload, created_at) VALUES ($1, $2, now()) RETURNING id",
    u"UPDATE accounts SET balance = balance - $1 WHERE id = $2",
    u"DELETE FROM sessions WHERE expires_at < now()",
    u"BEGIN",
    u"COMMIT",
    u"SELECT count(*) FROM messages WHERE recipient = $1 AND read_at IS NULL",
    u"WITH recent AS (SELECT * FROM logins WHERE at > now() - interval '1 day') "
    u"SELECT user_id, count(*) FROM recent GROUP BY 1",
    u"SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id "
    u"WHERE o.id = ANY($1)",
    u"SELECT * FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    u"SELECT nextval('invoice_seq')",
    u"SET search_path TO app, public",
    u"/* app:orders-list */ SELECT id, total FROM orders WHERE shop_id = $1 -- page 1",
    u"SELECT \"Name\", \"Value\" FROM \"Settings\" WHERE \"Key\" = 'max_items'",
    u"EXPLAIN ANALYZE SELECT * FROM products WHERE sku = 'X-42'",
    u"SELECT pg_advisory_xact_lock(hashtext($1))",
    u"VALUES (1, 'a'), (2, 'b')",
    u"SHOW transaction_isolation",
    u"/*qpsqlha:primary*/ SELECT balance FROM accounts WHERE id = $1",
    u"SELECT p.id, p.title FROM posts p WHERE p.published AND p.body ILIKE '%' || $1 || '%' "
    u"ORDER BY p.created_at DESC LIMIT 20",
};
inline constexpr int statementMixSize = int(std::size(statementMix));
inline constexpr int statementMixReads = 11;

// Classifies the whole mix once; returns how many statements went to a reader.
inline int classifyMix(const QPsqlHa::StatementClassifier &classifier)
{
    int reads = 0;
    for (QStringView sql : statementMix)
        reads += classifier.classify(sql).isRead();
    return reads;
}

} // namespace QPsqlHaBench

#endif // QPSQLHA_BENCH_STATEMENTMIX_H
