// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpsqlhawatchdog_p.h"

#include <QtCore/qlist.h>
#include <QtCore/qthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <pthread.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace QPsqlHa {

namespace {
// Set once the watchdog is destroyed (static destruction at exit): slots of sessions destroyed
// later, for instance with a QSqlDatabase left open, have nothing left to unregister from.
QBasicAtomicInt watchdogGone = Q_BASIC_ATOMIC_INITIALIZER(0);
} // namespace

// The process-wide thread that cuts off expired calls. It runs only while slots are registered
// (while sessions with a query timeout exist) and then wakes every WatchdogTickMs: an idle
// process pays nothing, a busy one a few dozen wake-ups a second. The standard thread, mutex
// and condition variable (rather than Qt's) let ThreadSanitizer follow the locking.
class Watchdog
{
    Q_DISABLE_COPY_MOVE(Watchdog)
public:
    static Watchdog &instance()
    {
        static Watchdog watchdog;
        return watchdog;
    }

    void add(WatchSlot *slot)
    {
        const std::lock_guard locker(m_mutex);
        m_slots.append(slot);
        if (!m_thread.joinable())
            m_thread = std::thread([this] { run(); });
        m_wake.notify_all();
    }

    void remove(WatchSlot *slot)
    {
        // Under the lock the thread takes for every look at the slots: once this returns, it
        // holds no pointer to the slot.
        const std::lock_guard locker(m_mutex);
        m_slots.removeOne(slot);
    }

private:
    Watchdog() = default;
    ~Watchdog()
    {
        {
            const std::lock_guard locker(m_mutex);
            m_stop = true;
            m_wake.notify_all();
        }
        if (m_thread.joinable())
            m_thread.join();
        watchdogGone.storeRelease(1);
    }

    void run()
    {
        pthread_setname_np(pthread_self(), "qpsqlha-watch");
        std::unique_lock locker(m_mutex);
        while (!m_stop) {
            if (m_slots.isEmpty()) {
                m_wake.wait(locker);
                continue;
            }
            m_wake.wait_for(locker, std::chrono::milliseconds(WatchdogTickMs));
            const qint64 now = watchdogClockMs();
            for (WatchSlot *slot : std::as_const(m_slots))
                slot->fireIfExpired(now);
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    QList<WatchSlot *> m_slots;
    std::thread m_thread;
    bool m_stop = false;
};

WatchedSocket::WatchedSocket(int socket) noexcept
    : m_fd(socket >= 0 ? ::fcntl(socket, F_DUPFD_CLOEXEC, 0) : -1)
{ }

WatchedSocket::~WatchedSocket()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

WatchSlot::WatchSlot()
{
    Watchdog::instance().add(this);
}

WatchSlot::~WatchSlot()
{
    if (!watchdogGone.loadAcquire())
        Watchdog::instance().remove(this);
}

bool WatchSlot::waitForShutdown() noexcept
{
    // The watchdog took the call: wait until its shutdown() returned, so that the caller may
    // close the socket (a matter of microseconds; it never waits on the network).
    while (phase(m_state.loadAcquire()) == Firing)
        QThread::yieldCurrentThread();
    m_state.storeRelaxed(m_sequence << PhaseBits | Idle);
    return true;
}

void WatchSlot::fireIfExpired(qint64 nowMs) noexcept
{
    const quint32 state = m_state.loadAcquire();
    const qint64 deadline = m_deadlineMs.loadRelaxed();
    if (phase(state) != Armed || nowMs < deadline)
        return;
    if (const QAtomicInteger<qint64> *answeredAt = m_answeredAtMs.loadRelaxed()) {
        // Alive (it answered a probe within the timeout): the statement is slow, the node is
        // not hung. Look again once it has been silent for a whole timeout.
        const qint64 silentUntil = answeredAt->loadRelaxed() + m_timeoutMs.loadRelaxed();
        if (silentUntil > nowMs) {
            m_deadlineMs.testAndSetRelaxed(deadline, silentUntil);
            return;
        }
    }
    const quint32 base = state & ~quint32((1u << PhaseBits) - 1);
    // Fails if the call ended, or another began, since the load above.
    if (!m_state.testAndSetAcquire(state, base | Firing))
        return;
    // The owner cannot arm again or close the socket before the phase is Fired.
    const int fd = m_fd.loadRelaxed();
    if (fd >= 0)
        ::shutdown(fd, SHUT_RDWR);
    m_state.storeRelease(base | Fired);
}

} // namespace QPsqlHa
