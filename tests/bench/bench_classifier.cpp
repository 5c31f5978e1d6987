// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "statementmix.h"

#include <qpsqlhastatementclassifier.h>

#include <QtCore/qelapsedtimer.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <cstdlib>

using namespace QPsqlHa;
using namespace QPsqlHaBench;
using namespace Qt::StringLiterals;

#if defined(__GLIBC__)
// Counts heap allocations while `countingAllocations` is set, by interposing glibc's malloc
// family (operator new and QArrayData both end up here). glibc exports the real functions under
// __libc_* names, so the wrappers need no dlsym() and work before anything else is initialised.
extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *pointer, size_t size);
}
namespace {
std::atomic<bool> countingAllocations {false};
std::atomic<qint64> allocations {0};
void countAllocation()
{
    if (countingAllocations.load(std::memory_order_relaxed))
        allocations.fetch_add(1, std::memory_order_relaxed);
}
} // namespace
extern "C" {
void *malloc(size_t size)
{
    countAllocation();
    return __libc_malloc(size);
}
void *calloc(size_t count, size_t size)
{
    countAllocation();
    return __libc_calloc(count, size);
}
void *realloc(void *pointer, size_t size)
{
    countAllocation();
    return __libc_realloc(pointer, size);
}
}
#define QPSQLHA_BENCH_COUNTS_ALLOCATIONS 1
#endif

class tst_BenchClassifier : public QObject
{
    Q_OBJECT

private slots:
    void mix();
    void nsPerStatement();
    void allocationsPerStatement();

private:
    const StatementClassifier m_classifier {{u"audit_touch"_s}};
};

// One iteration classifies the whole mix.
void tst_BenchClassifier::mix()
{
    int reads = 0;
    QBENCHMARK
    {
        reads = classifyMix(m_classifier);
    }
    QCOMPARE(reads, statementMixReads);
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
            reads += classifyMix(m_classifier);
        rounds += 1000;
    } while (timer.nsecsElapsed() < minimumNanoseconds);
    const qint64 elapsed = timer.nsecsElapsed();
    QCOMPARE(reads, rounds * statementMixReads);
    QTest::setBenchmarkResult(qreal(elapsed) / qreal(rounds * statementMixSize),
                              QTest::WalltimeNanoseconds);
}

// The classifier promises no heap allocation: a regression here costs every statement.
void tst_BenchClassifier::allocationsPerStatement()
{
#ifdef QPSQLHA_BENCH_COUNTS_ALLOCATIONS
    constexpr int rounds = 1000;
    int reads = 0;
    allocations.store(0);
    countingAllocations.store(true);
    for (int i = 0; i < rounds; ++i)
        reads += classifyMix(m_classifier);
    countingAllocations.store(false);
    const qint64 counted = allocations.load();
    QCOMPARE(reads, rounds * statementMixReads);
    qInfo("allocations per statement: %g", double(counted) / double(rounds * statementMixSize));
    QCOMPARE(counted, 0);
#else
    QSKIP("allocation counting needs glibc");
#endif
}

QTEST_APPLESS_MAIN(tst_BenchClassifier)

#include "bench_classifier.moc"
