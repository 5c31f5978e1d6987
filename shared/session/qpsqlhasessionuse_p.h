// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHASESSIONUSE_P_H
#define QPSQLHASESSIONUSE_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>
#include <qpsqlhamessages_p.h>

#include <QtCore/qthread.h>
#include <QtSql/qsqlerror.h>

#include <atomic>

namespace QPsqlHa {

// Which thread is using a session right now. Qt allows one thread at a time per QSqlDatabase;
// an application that breaks the rule would otherwise have two threads drive one libpq
// connection, which ends in a wait for an answer that never comes (PQgetResult() forever). With
// this, the second thread is turned away with an error before it touches a connection.
//
// Not a lock: one compare-and-exchange on entry and one store on exit, nobody waits. The owner
// may enter again while it is inside (a fetch that runs its statement once more, say).
class SessionUse
{
    Q_DISABLE_COPY_MOVE(SessionUse)
public:
    SessionUse() = default;

    // One entry into the session (a driver or result call that may use a node's connection).
    // Entered unless another thread is inside; then the caller must fail with busyError().
    class Scope
    {
        Q_DISABLE_COPY_MOVE(Scope)
    public:
        // use may be null (no session): nothing to guard, entered.
        explicit Scope(SessionUse *use) noexcept
        {
            if (!use)
                return;
            const Qt::HANDLE self = QThread::currentThreadId();
            Qt::HANDLE owner = nullptr;
            if (use->m_owner.compare_exchange_strong(owner, self, std::memory_order_acquire,
                                                     std::memory_order_relaxed)) {
                m_use = use; // first entry: leaving lets go
            } else {
                m_refused = owner != self; // owner == self: nested entry, the outer one lets go
            }
        }
        ~Scope()
        {
            if (m_use)
                m_use->m_owner.store(nullptr, std::memory_order_release);
        }
        bool refused() const noexcept { return m_refused; }

    private:
        SessionUse *m_use = nullptr;
        bool m_refused = false;
    };

    // What the thread that was turned away gets. QPSQL fails such calls with the error of the
    // statement or transaction command that could not run (its connection was busy), so the
    // type is StatementError, or TransactionError for transaction commands.
    static QSqlError busyError(QSqlError::ErrorType type = QSqlError::StatementError)
    {
        return QSqlError(Messages::tr("QPSQLHA: this connection is being used by another thread "
                                      "at the same time; a QSqlDatabase may only be used by one "
                                      "thread at a time"),
                         QString(), type);
    }

private:
    std::atomic<Qt::HANDLE> m_owner {nullptr};
};

} // namespace QPsqlHa

#endif // QPSQLHASESSIONUSE_P_H
