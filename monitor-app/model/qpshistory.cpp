// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qpshistory.h"

#include <algorithm>

namespace QPsqlHaMonitor {

QpsHistory::QpsHistory(qint64 windowMs, int capacity)
    : m_ring(size_t(std::max(capacity, 1)))
    , m_windowMs(std::max<qint64>(windowMs, 1))
{ }

void QpsHistory::append(qint64 timeMs, double qps)
{
    if (m_count > 0 && timeMs < last().timeMs)
        return;
    if (m_count == capacity())
        dropFront();
    m_ring[size_t((m_first + m_count) % capacity())] = Sample {timeMs, qps};
    ++m_count;
    expire(timeMs);
}

void QpsHistory::expire(qint64 nowMs)
{
    // A sample exactly one window old is out: at one sample a second, a 60 s window holds 60.
    while (m_count > 0 && at(0).timeMs <= nowMs - m_windowMs)
        dropFront();
}

void QpsHistory::clear()
{
    m_first = 0;
    m_count = 0;
}

QpsHistory::Sample QpsHistory::at(int i) const
{
    Q_ASSERT(i >= 0 && i < m_count);
    return m_ring[size_t((m_first + i) % capacity())];
}

QList<QpsHistory::Sample> QpsHistory::samples() const
{
    QList<Sample> result;
    result.reserve(m_count);
    for (int i = 0; i < m_count; ++i)
        result.append(at(i));
    return result;
}

double QpsHistory::maximum() const
{
    double result = 0;
    for (int i = 0; i < m_count; ++i)
        result = std::max(result, at(i).qps);
    return result;
}

void QpsHistory::dropFront()
{
    m_first = (m_first + 1) % capacity();
    --m_count;
}

} // namespace QPsqlHaMonitor
