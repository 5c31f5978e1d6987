// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qelapsedtimer.h>
#include <QtTest/qtest.h>

#include <iterator>

using namespace QPsqlHa;
using namespace Qt::StringLiterals;

namespace {

// What an application typically sends, reads and writes mixed, all under 200 characters.
constexpr QStringView statements[] = {
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
constexpr int expectedReads = 11;

int classifyAll(const StatementClassifier &classifier)
{
    int reads = 0;
    for (QStringView sql : statements)
        reads += classifier.classify(sql).isRead();
    return reads;
}

} // namespace

class tst_BenchClassifier : public QObject
{
    Q_OBJECT

private slots:
    void mix();
    void nsPerStatement();

private:
    const StatementClassifier m_classifier {{u"audit_touch"_s}};
};

// One iteration classifies the whole mix.
void tst_BenchClassifier::mix()
{
    int reads = 0;
    QBENCHMARK
    {
        reads = classifyAll(m_classifier);
    }
    QCOMPARE(reads, expectedReads);
}

// The same mix timed directly, reported as nanoseconds per statement. QBENCHMARK cannot be
// used here: setBenchmarkResult() would stop its calibration after the first iteration.
void tst_BenchClassifier::nsPerStatement()
{
    constexpr qint64 minimumNanoseconds = 500'000'000;
    qint64 rounds = 0;
    qint64 reads = 0;
    QElapsedTimer timer;
    timer.start();
    do {
        for (int i = 0; i < 1000; ++i)
            reads += classifyAll(m_classifier);
        rounds += 1000;
    } while (timer.nsecsElapsed() < minimumNanoseconds);
    const qint64 elapsed = timer.nsecsElapsed();
    QCOMPARE(reads, rounds * expectedReads);
    QTest::setBenchmarkResult(qreal(elapsed) / qreal(rounds * qint64(std::size(statements))),
                              QTest::WalltimeNanoseconds);
}

QTEST_APPLESS_MAIN(tst_BenchClassifier)

#include "bench_classifier.moc"
