// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASTATEMENTCLASSIFIER_H
#define QPSQLHASTATEMENTCLASSIFIER_H

#include <qpsqlhaglobal.h>

#include <QtCore/qstringlist.h>
#include <QtCore/qstringview.h>

namespace QPsqlHa {

// What one SQL string may do, decided from its text alone: where it may run and which
// per-connection state it touches. Pure: no network, no locks, no heap allocation.
struct Classification
{
    enum Route : quint8 {
        Reader, // read-only: any online reader (or the primary) may run it
        Primary, // must run on the primary
    };

    // Why a statement was routed where it was; used for logging and by the tests.
    enum Reason : quint8 {
        ReadOnly, // a plain read
        NotAQuery, // first keyword is not a read (INSERT, DDL, COPY, CALL, ...)
        Empty, // nothing but whitespace and comments; let the primary answer
        PrimaryHint, // leading /*qpsqlha:primary*/ comment
        MultiStatement, // more than one statement in the string
        LockingClause, // SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE
        SelectInto, // SELECT ... INTO creates a table
        DataModifying, // INSERT/UPDATE/DELETE/MERGE/... inside a read (e.g. WITH)
        WriteFunction, // calls what only the primary runs: nextval, pg_advisory_lock,
                       // pg_switch_wal, a configured function...
        ExplainAnalyzeWrite, // EXPLAIN ANALYZE executes a write
    };

    enum Flag : quint8 {
        NoFlags = 0x00,
        BeginsTransaction = 0x01, // BEGIN, START TRANSACTION
        EndsTransaction
        = 0x02, // COMMIT, END, ROLLBACK / ABORT (not TO SAVEPOINT), PREPARE TRANSACTION
        ChangesSessionState = 0x04, // SET/RESET (not SET LOCAL), SET ROLE, SET SESSION
                                    // AUTHORIZATION, set_config(..., false), DISCARD
        CreatesTempTable = 0x08, // CREATE TEMP/TEMPORARY TABLE
        Listens = 0x10, // LISTEN / UNLISTEN
        // CREATE, ALTER, DO, CALL, IMPORT: may have created or renamed a temporary object under
        // a name the text does not show (CREATE TABLE pg_temp.t, a view over a temporary
        // table, a serial column's sequence, a function body). The session asks the server.
        DefinesObjects = 0x20,
    };

    Route route = Primary;
    Reason reason = Empty;
    quint8 flags = NoFlags;

    constexpr bool isRead() const noexcept { return route == Reader; }
    constexpr bool hasFlag(Flag f) const noexcept { return (flags & f) != 0; }
};

class QPSQLHA_EXPORT StatementClassifier
{
public:
    // extraWriteFunctions: names of functions (case-insensitive, without schema) that make a
    // SELECT a write, in addition to the built-in list (QPSQLHA_WRITE_FUNCTIONS).
    explicit StatementClassifier(const QStringList &extraWriteFunctions = {});

    // standardConformingStrings: the session's standard_conforming_strings setting. When it is
    // off, a backslash escapes the next character inside '...' literals too, as the server
    // reads them (E'...' always, U&'...', B'...', X'...', $$...$$ and "..." never).
    Classification classify(QStringView sql, bool standardConformingStrings = true) const noexcept;

    const QStringList &extraWriteFunctions() const noexcept { return m_extraWriteFunctions; }

    static const char *reasonName(Classification::Reason reason) noexcept;

private:
    QStringList m_extraWriteFunctions; // lower-cased
};

} // namespace QPsqlHa

#endif // QPSQLHASTATEMENTCLASSIFIER_H
