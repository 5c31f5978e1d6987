// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The retry decision as a table: how a call on a node ended, where it ran and what the caller
// has seen in; deliver, move, ask the node's role or fail out. No PostgreSQL needed.

#include <qpsqlharetrydecision_p.h>

#include <QtTest/qtest.h>

using namespace QPsqlHa;

Q_DECLARE_METATYPE(QPsqlHa::RetryFacts)
Q_DECLARE_METATYPE(QPsqlHa::NextStep)

namespace {

enum Where { Reader, Primary };
enum Flags { None = 0, Read = 1, Pinned = 2, RowsDelivered = 4, LastResort = 8 };

RetryFacts facts(Failure failure, Where where, int flags, bool timedOut = false,
                 bool leftInTransaction = false)
{
    RetryFacts f;
    f.outcome.failure = failure;
    f.outcome.timedOut = timedOut;
    f.outcome.leftInTransaction = leftInTransaction;
    f.onWriteNode = where == Primary;
    f.read = flags & Read;
    f.pinned = flags & Pinned;
    f.rowsDelivered = flags & RowsDelivered;
    f.lastResort = flags & LastResort;
    return f;
}

} // namespace

class tst_RetryDecision : public QObject
{
    Q_OBJECT

private slots:
    void table_data();
    void table();
    void everyCaseHasAName();
};

void tst_RetryDecision::table_data()
{
    QTest::addColumn<RetryFacts>("facts");
    QTest::addColumn<NextStep>("expected");

    auto row = [](const char *name, RetryFacts f, NextStep step) {
        QTest::newRow(name) << f << step;
    };
    // Success, wherever it ran.
    row("read ok on a reader", facts(Failure::None, Reader, Read), NextStep::Deliver);
    row("write ok on the primary", facts(Failure::None, Primary, None), NextStep::Deliver);
    row("read ok in a transaction", facts(Failure::None, Primary, Read | Pinned),
        NextStep::Deliver);

    // A reader's connection broke or was cut off: the read moves, unless rows were delivered.
    row("reader gone before rows", facts(Failure::NodeGone, Reader, Read),
        NextStep::RetryElsewhere);
    row("reader timed out before rows", facts(Failure::NodeGone, Reader, Read, true),
        NextStep::RetryElsewhere);
    row("reader gone after rows", facts(Failure::NodeGone, Reader, Read | RowsDelivered),
        NextStep::FailNodeLost);
    row("reader timed out after rows", facts(Failure::NodeGone, Reader, Read | RowsDelivered, true),
        NextStep::FailNodeLost);
    row("recovery conflict before rows", facts(Failure::RecoveryConflict, Reader, Read),
        NextStep::RetryElsewhere);
    row("recovery conflict after rows",
        facts(Failure::RecoveryConflict, Reader, Read | RowsDelivered), NextStep::FailAsIs);

    // The primary as the last place a read can go, or a read's stream broke there.
    row("read on the primary gone, last resort",
        facts(Failure::NodeGone, Primary, Read | LastResort), NextStep::FailNodeLost);
    row("read streamed from the primary gone before rows", facts(Failure::NodeGone, Primary, Read),
        NextStep::RetryElsewhere);
    row("read streamed from the primary gone after rows",
        facts(Failure::NodeGone, Primary, Read | RowsDelivered), NextStep::FailNodeLost);

    // Writes and transactions never move.
    row("write, primary gone", facts(Failure::NodeGone, Primary, None), NextStep::FailNodeLost);
    row("write, primary timed out", facts(Failure::NodeGone, Primary, None, true),
        NextStep::FailNodeLost);
    row("read in a transaction, primary gone", facts(Failure::NodeGone, Primary, Read | Pinned),
        NextStep::FailNodeLost);
    row("write's SQL error", facts(Failure::StatementError, Primary, None), NextStep::FailAsIs);
    row("read's SQL error on a reader", facts(Failure::StatementError, Reader, Read),
        NextStep::FailAsIs);
    row("read's SQL error in a transaction", facts(Failure::StatementError, Primary, Read | Pinned),
        NextStep::FailAsIs);

    // What only the primary runs.
    row("reader refuses a write (25006)", facts(Failure::ReadOnlyNode, Reader, Read),
        NextStep::RunOnPrimary);
    row("reader refuses WAL control (55000)", facts(Failure::NeedsPrimary, Reader, Read),
        NextStep::RunOnPrimary);
    row("reader refuses after rows", facts(Failure::ReadOnlyNode, Reader, Read | RowsDelivered),
        NextStep::FailAsIs);
    row("55000 on the primary is the caller's", facts(Failure::NeedsPrimary, Primary, None),
        NextStep::FailAsIs);
    row("25006 from the primary outside a transaction", facts(Failure::ReadOnlyNode, Primary, None),
        NextStep::ConfirmRole);
    row("25006 from the primary for a read outside a transaction",
        facts(Failure::ReadOnlyNode, Primary, Read | LastResort), NextStep::ConfirmRole);
    row("25006 from the primary in a transaction", facts(Failure::ReadOnlyNode, Primary, Pinned),
        NextStep::FailAsIs);

    // The server found more than a read in the text: the primary runs it.
    row("reader left in a transaction", facts(Failure::None, Reader, Read, false, true),
        NextStep::RunOnPrimary);
    row("reader left in a transaction by a failed read",
        facts(Failure::StatementError, Reader, Read, false, true), NextStep::RunOnPrimary);
}

void tst_RetryDecision::table()
{
    QFETCH(RetryFacts, facts);
    QFETCH(NextStep, expected);
    const NextStep step = nextStep(facts);
    QVERIFY2(step == expected,
             qPrintable(QStringLiteral("got '%1', expected '%2'")
                            .arg(QLatin1StringView(nextStepName(step)),
                                 QLatin1StringView(nextStepName(expected)))));
}

void tst_RetryDecision::everyCaseHasAName()
{
    for (NextStep step : {NextStep::Deliver, NextStep::RetryElsewhere, NextStep::RunOnPrimary,
                          NextStep::ConfirmRole, NextStep::FailNodeLost, NextStep::FailAsIs})
        QVERIFY(qstrcmp(nextStepName(step), "?") != 0);
}

QTEST_APPLESS_MAIN(tst_RetryDecision)

#include "tst_retrydecision.moc"
