// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_THREADGROUP_H
#define QPSQLHA_THREADGROUP_H

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qthread.h>

#include <memory>
#include <utility>
#include <vector>

namespace QPsqlHaTest {

// Threads of a test's own, started together and joined by the destructor at the latest: a
// QVERIFY that returns early must not destroy a QThread that still runs.
class ThreadGroup
{
    Q_DISABLE_COPY_MOVE(ThreadGroup)
public:
    ThreadGroup() = default;
    ~ThreadGroup() { join(); }

    template<typename Function> void add(Function function)
    {
        m_threads.emplace_back(QThread::create(std::move(function)));
    }
    void start()
    {
        for (auto &thread : m_threads)
            thread->start();
    }
    // Waits until every thread has returned or deadline passed; returns whether they all did.
    // The group keeps its threads either way.
    bool waitFor(QDeadlineTimer deadline)
    {
        for (auto &thread : m_threads) {
            if (!thread->wait(deadline))
                return false;
        }
        return true;
    }
    // Waits for every thread to return; the group is empty afterwards.
    void join()
    {
        for (auto &thread : m_threads)
            thread->wait();
        m_threads.clear();
    }
    int size() const { return int(m_threads.size()); }

private:
    std::vector<std::unique_ptr<QThread>> m_threads;
};

} // namespace QPsqlHaTest

#endif // QPSQLHA_THREADGROUP_H
