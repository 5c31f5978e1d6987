// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// SessionUse: the guard that turns a second thread away from a session instead of letting two
// threads share a node's libpq connection.

#include <qpsqlhasessionuse_p.h>

#include <QtCore/qsemaphore.h>
#include <QtCore/qthread.h>
#include <QtTest/qtest.h>

#include <memory>

using namespace QPsqlHa;

class tst_SessionUse : public QObject
{
    Q_OBJECT

private slots:
    void secondThreadIsTurnedAway();
    void ownerMayEnterAgain();
    void threadsTakingTurnsAreFine();
    void noSessionIsNeverRefused();
    void errorSaysWhatHappened();
};

void tst_SessionUse::secondThreadIsTurnedAway()
{
    SessionUse use;
    QSemaphore inside, leave;
    bool otherRefused = false;
    std::unique_ptr<QThread> owner(QThread::create([&] {
        const SessionUse::Scope scope(&use);
        otherRefused = scope.refused();
        inside.release();
        leave.acquire();
    }));
    owner->start();
    inside.acquire();
    QVERIFY(!otherRefused);
    {
        const SessionUse::Scope scope(&use);
        QVERIFY(scope.refused());
    }
    leave.release();
    QVERIFY(owner->wait(10000));
    // The owner left: the session is free again.
    const SessionUse::Scope scope(&use);
    QVERIFY(!scope.refused());
}

// A call that enters again on its own thread (a fetch that runs its statement once more) must
// not lock itself out, and only the outermost entry lets go.
void tst_SessionUse::ownerMayEnterAgain()
{
    SessionUse use;
    const auto otherThreadRefused = [&use] {
        bool refused = false;
        std::unique_ptr<QThread> other(QThread::create([&] {
            const SessionUse::Scope scope(&use);
            refused = scope.refused();
        }));
        other->start();
        other->wait();
        return refused;
    };
    {
        const SessionUse::Scope outer(&use);
        QVERIFY(!outer.refused());
        {
            const SessionUse::Scope inner(&use);
            QVERIFY(!inner.refused());
        }
        QVERIFY(otherThreadRefused());
    }
    QVERIFY(!otherThreadRefused());
}

void tst_SessionUse::threadsTakingTurnsAreFine()
{
    SessionUse use;
    for (int i = 0; i < 3; ++i) {
        bool refused = true;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            const SessionUse::Scope scope(&use);
            refused = scope.refused();
        }));
        thread->start();
        QVERIFY(thread->wait(10000));
        QVERIFY(!refused);
    }
}

void tst_SessionUse::noSessionIsNeverRefused()
{
    const SessionUse::Scope scope(nullptr);
    QVERIFY(!scope.refused());
}

void tst_SessionUse::errorSaysWhatHappened()
{
    const QSqlError statement = SessionUse::busyError();
    QCOMPARE(statement.type(), QSqlError::StatementError);
    QVERIFY(statement.text().startsWith(QLatin1String("QPSQLHA: ")));
    QVERIFY(statement.text().contains(QLatin1String("another thread")));
    QCOMPARE(SessionUse::busyError(QSqlError::TransactionError).type(),
             QSqlError::TransactionError);
}

QTEST_GUILESS_MAIN(tst_SessionUse)

#include "tst_sessionuse.moc"
