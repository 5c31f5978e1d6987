// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAMONITOR_QPSHISTORY_H
#define QPSQLHAMONITOR_QPSHISTORY_H

#include <QtCore/qglobal.h>
#include <QtCore/qlist.h>

#include <vector>

namespace QPsqlHaMonitor {

// The queries per second of one node over a sliding time window (the last minute by default),
// oldest first. A fixed-size ring: counters arrive about once a second, so the window never
// holds more than a few dozen samples, and a burst of updates overwrites the oldest ones instead
// of growing without bound.
class QpsHistory
{
public:
    struct Sample
    {
        qint64 timeMs = 0; // milliseconds since the epoch
        double qps = 0;
    };

    static constexpr qint64 DefaultWindowMs = 60 * 1000;
    static constexpr int DefaultCapacity = 256;

    explicit QpsHistory(qint64 windowMs = DefaultWindowMs, int capacity = DefaultCapacity);

    // Adds a sample and drops those that fell out of the window ending at timeMs. A sample older
    // than the newest one is ignored: the history is in time order.
    void append(qint64 timeMs, double qps);
    // Drops the samples older than the window ending at nowMs (no sample is added).
    void expire(qint64 nowMs);
    void clear();

    bool isEmpty() const { return m_count == 0; }
    int size() const { return m_count; }
    int capacity() const { return int(m_ring.size()); }
    qint64 windowMs() const { return m_windowMs; }
    Sample at(int i) const; // 0 is the oldest
    Sample last() const { return at(m_count - 1); }
    QList<Sample> samples() const;
    double maximum() const;

private:
    void dropFront();

    std::vector<Sample> m_ring;
    int m_first = 0;
    int m_count = 0;
    qint64 m_windowMs;
};

} // namespace QPsqlHaMonitor

#endif // QPSQLHAMONITOR_QPSHISTORY_H
