// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// The watchdog on real sockets: it cuts off a blocked read past its deadline, never touches a
// call that ended (however close to its deadline), and closes only its own duplicates.

#include <qpsqlhawatchdog_p.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <thread>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace QPsqlHa;

namespace {

// A connected pair of stream sockets, closed when it goes.
struct SocketPair
{
    SocketPair() { ok = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0; }
    ~SocketPair()
    {
        if (ok) {
            ::close(fds[0]);
            ::close(fds[1]);
        }
    }
    // Whether a byte written on one end still arrives at the other.
    bool works() const
    {
        const char out = 'x';
        char in = 0;
        return ::send(fds[1], &out, 1, MSG_NOSIGNAL) == 1
            && ::recv(fds[0], &in, 1, MSG_DONTWAIT) == 1 && in == out;
    }
    int fds[2] = {-1, -1};
    bool ok = false;
};

bool isOpenDescriptor(int fd)
{
    return ::fcntl(fd, F_GETFD) != -1;
}

} // namespace

class tst_Watchdog : public QObject
{
    Q_OBJECT

private slots:
    void cutsOffABlockedRead();
    void leavesFinishedCallsAlone();
    void neverCutsOffALaterCall();
    void watchedSocketOwnsItsDuplicate();
    void sparesANodeThatAnswers();
};

void tst_Watchdog::sparesANodeThatAnswers()
{
    // A slow statement on a node that keeps answering the health checker is not cut off; once
    // the node falls silent for a whole timeout, it is.
    SocketPair pair;
    QVERIFY(pair.ok);
    WatchedSocket watched(pair.fds[0]);
    QAtomicInteger<qint64> answeredAt(watchdogClockMs());
    WatchSlot slot;
    QElapsedTimer timer;
    timer.start();
    slot.arm(watched.fd(), watchdogClockMs() + 150, &answeredAt, 150);
    std::atomic<bool> answering {true};
    std::thread prober([&] {
        while (timer.elapsed() < 600) {
            answeredAt.storeRelaxed(watchdogClockMs());
            QThread::msleep(30);
        }
        answering = false;
    });
    char byte;
    const ssize_t got = ::recv(pair.fds[0], &byte, 1, 0);
    const qint64 elapsed = timer.elapsed();
    prober.join();
    QVERIFY(slot.disarm());
    qInfo("read on an answering node cut off %lld ms after the start (answers stopped at 600 "
          "ms, timeout 150 ms)",
          elapsed);
    QCOMPARE(got, ssize_t(0));
    QVERIFY(!answering);
    QVERIFY(elapsed >= 600 + 100);
}

void tst_Watchdog::cutsOffABlockedRead()
{
    SocketPair pair;
    QVERIFY(pair.ok);
    WatchedSocket watched(pair.fds[0]);
    QVERIFY(watched.fd() >= 0);
    WatchSlot slot;
    QElapsedTimer timer;
    timer.start();
    slot.arm(watched.fd(), watchdogClockMs() + 200);
    char byte;
    // Nobody writes: only the watchdog can end this read (by shutting the socket down).
    const ssize_t got = ::recv(pair.fds[0], &byte, 1, 0);
    const qint64 elapsed = timer.elapsed();
    QVERIFY(slot.disarm());
    qInfo("blocked read cut off after %lld ms (deadline 200 ms, tick %d ms)", elapsed,
          WatchdogTickMs);
    QCOMPARE(got, ssize_t(0));
    QVERIFY(elapsed >= 190);
    QVERIFY2(elapsed < 200 + 10 * WatchdogTickMs, qPrintable(QString::number(elapsed)));
    QVERIFY(!pair.works());
}

void tst_Watchdog::leavesFinishedCallsAlone()
{
    SocketPair pair;
    QVERIFY(pair.ok);
    WatchedSocket watched(pair.fds[0]);
    WatchSlot slot;
    for (int i = 0; i < 20; ++i) {
        slot.arm(watched.fd(), watchdogClockMs() + 100);
        QThread::msleep(5);
        QVERIFY(!slot.disarm());
    }
    // Long after every deadline: nothing was cut off.
    QThread::msleep(200);
    QVERIFY(pair.works());
}

void tst_Watchdog::neverCutsOffALaterCall()
{
    // Calls that expire at once and end at once: whenever disarm() says the watchdog did not
    // fire, the socket must be intact, and when it did, the socket must be shut down.
    WatchSlot slot;
    int fired = 0;
    int spared = 0;
    QElapsedTimer timer;
    timer.start();
    while ((fired < 5 || spared < 5) && timer.elapsed() < 20000) {
        SocketPair pair;
        QVERIFY(pair.ok);
        WatchedSocket watched(pair.fds[0]);
        slot.arm(watched.fd(), watchdogClockMs() - 1);
        QThread::usleep(fired < 5 ? 3000 : (spared % 7) * 500);
        if (slot.disarm()) {
            ++fired;
            QVERIFY(!pair.works());
        } else {
            ++spared;
            QVERIFY(pair.works());
            // And it stays intact: the watchdog let go of that call.
            QThread::msleep(3 * WatchdogTickMs);
            QVERIFY(pair.works());
        }
    }
    qInfo("expired calls: %d cut off, %d ended first", fired, spared);
    QVERIFY(fired >= 5);
    QVERIFY(spared >= 5);
}

void tst_Watchdog::watchedSocketOwnsItsDuplicate()
{
    SocketPair pair;
    QVERIFY(pair.ok);
    int duplicate = -1;
    {
        WatchedSocket watched(pair.fds[0]);
        duplicate = watched.fd();
        QVERIFY(duplicate >= 0);
        QVERIFY(duplicate != pair.fds[0]);
        WatchedSocket moved(std::move(watched));
        QCOMPARE(moved.fd(), duplicate);
        QCOMPARE(watched.fd(), -1);
    }
    QVERIFY(!isOpenDescriptor(duplicate));
    QVERIFY(isOpenDescriptor(pair.fds[0]));
    QVERIFY(pair.works());
    QCOMPARE(WatchedSocket(-1).fd(), -1);
}

QTEST_APPLESS_MAIN(tst_Watchdog)

#include "tst_watchdog.moc"
