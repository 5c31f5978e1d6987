// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAWATCHDOG_P_H
#define QPSQLHAWATCHDOG_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qatomic.h>

#include <time.h>
#include <utility>

namespace QPsqlHa {

// Milliseconds of a monotonic clock that is cheap to read: the coarse clock is a few
// nanoseconds through the vDSO and a few milliseconds coarse, far finer than any timeout.
inline qint64 watchdogClockMs() noexcept
{
    timespec now;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
#else
    clock_gettime(CLOCK_MONOTONIC, &now);
#endif
    return qint64(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

// A duplicate of one connection's socket, owned by the session's link to that node, for the
// watchdog to shut down. libpq closes its own descriptor when a connection breaks, and the
// number may then be reused by any file of the process at once; the duplicate is closed only by
// its owner, never during a call it watches, so the watchdog never hits somebody else's file.
class QPSQLHA_EXPORT WatchedSocket
{
    Q_DISABLE_COPY(WatchedSocket)
public:
    WatchedSocket() noexcept = default;
    explicit WatchedSocket(int socket) noexcept; // duplicates it; -1 stays -1
    WatchedSocket(WatchedSocket &&other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    { }
    WatchedSocket &operator=(WatchedSocket &&other) noexcept
    {
        WatchedSocket moved(std::move(other));
        std::swap(m_fd, moved.m_fd);
        return *this;
    }
    ~WatchedSocket();

    int fd() const noexcept { return m_fd; }

private:
    int m_fd = -1;
};

// One thread's blocking call on a node, as seen by the watchdog: which socket, until when.
// The owner (a session, in its connection's thread) arms it before the call and disarms it
// after; both are a few atomic operations, no lock and no allocation. A watchdog thread looks at
// every registered slot every WatchdogTickMs and shuts the socket of an expired call down, so
// that libpq's blocked read returns and the connection reports itself broken.
//
// The state word holds a sequence number (one per armed call) and a phase. The watchdog moves
// a call from Armed to Firing with a compare-and-swap, so it can never cut off a later call
// than the one it found expired, and disarm() waits while it is Firing, so the socket is not
// closed under the watchdog's shutdown().
class QPSQLHA_EXPORT WatchSlot
{
    Q_DISABLE_COPY_MOVE(WatchSlot)
public:
    WatchSlot(); // registers with the watchdog (starting it)
    ~WatchSlot(); // unregisters: the watchdog never touches the slot afterwards

    bool isArmed() const noexcept { return phase(m_state.loadRelaxed()) == Armed; }

    // `answeredAtMs` (may be null): when the node last answered someone else (the health
    // checker's probe), on watchdogClockMs(). A call is only cut off once the node has given no
    // sign of life for `timeoutMs`: a slow statement on a node that answers probes runs on.
    void arm(int fd, qint64 deadlineMs, const QAtomicInteger<qint64> *answeredAtMs = nullptr,
             int timeoutMs = 0) noexcept
    {
        Q_ASSERT(phase(m_state.loadRelaxed()) == Idle);
        m_fd.storeRelaxed(fd);
        m_deadlineMs.storeRelaxed(deadlineMs);
        m_answeredAtMs.storeRelaxed(answeredAtMs);
        m_timeoutMs.storeRelaxed(timeoutMs);
        m_sequence = (m_sequence + 1) & SequenceMask;
        m_state.storeRelease(m_sequence << PhaseBits | Armed);
    }

    // Returns true if the watchdog cut the call off.
    bool disarm() noexcept
    {
        const quint32 base = m_sequence << PhaseBits;
        if (Q_LIKELY(m_state.testAndSetRelaxed(base | Armed, base | Idle)))
            return false;
        return waitForShutdown();
    }

private:
    friend class Watchdog;
    enum Phase : quint32 { Idle = 0, Armed = 1, Firing = 2, Fired = 3 };
    static constexpr int PhaseBits = 2;
    static constexpr quint32 SequenceMask = 0xffffffffu >> PhaseBits;
    static constexpr quint32 phase(quint32 state) { return state & ((1u << PhaseBits) - 1); }

    bool waitForShutdown() noexcept;
    void fireIfExpired(qint64 nowMs) noexcept; // the watchdog thread

    QAtomicInteger<quint32> m_state {0};
    QAtomicInteger<int> m_fd {-1};
    QAtomicInteger<qint64> m_deadlineMs {0};
    QAtomicPointer<const QAtomicInteger<qint64>> m_answeredAtMs {nullptr};
    QAtomicInteger<int> m_timeoutMs {0};
    quint32 m_sequence = 0; // the owner's copy of the current sequence number
};

constexpr int WatchdogTickMs = 20;

} // namespace QPsqlHa

#endif // QPSQLHAWATCHDOG_P_H
