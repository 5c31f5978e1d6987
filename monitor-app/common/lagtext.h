// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHATOOLS_LAGTEXT_H
#define QPSQLHATOOLS_LAGTEXT_H

#include <qpsqlhastatus.h>

#include <QtCore/qstring.h>

// How qpsqlha-ctl and qpsqlha-monitor write a reader's replication lag, so that an operator
// reads the same figures in both. Header-only: the two tools share no library but the core.
// (`--json` and the model's roles keep the figures exactly as the process sends them.)
namespace QPsqlHaTools {

// "0 B", "812 B", "1.5 kB", "12 kB", "3.2 MB" (1 kB = 1024 bytes, as pg_size_pretty()); one
// decimal below 10 so that small amounts do not read as round numbers.
inline QString byteSizeText(qint64 bytes)
{
    using namespace Qt::StringLiterals;
    if (bytes < 1024)
        return u"%1 B"_s.arg(bytes);
    const char16_t *const units[] = {u"kB", u"MB", u"GB", u"TB"};
    double value = double(bytes) / 1024;
    int unit = 0;
    while (value >= 1024 && unit < 3) {
        value /= 1024;
        ++unit;
    }
    return u"%1 %2"_s.arg(QString::number(value, 'f', value < 10 ? 1 : 0),
                          QString::fromUtf16(units[unit]));
}

// "340 ms" below 10 s, then "42 s", then "12 min".
inline QString lagDurationText(qint64 ms)
{
    using namespace Qt::StringLiterals;
    if (ms < 10'000)
        return u"%1 ms"_s.arg(ms);
    if (ms < 600'000)
        return u"%1 s"_s.arg(ms / 1000);
    return u"%1 min"_s.arg(ms / 60'000);
}

// "12 kB / 340 ms"; "-" when neither is known (not a reader, or not measured yet; the
// protocol sends -1 then). A figure that alone is unknown shows as "?".
inline QString lagText(qint64 bytes, qint64 ms)
{
    using namespace Qt::StringLiterals;
    if (bytes < 0 && ms < 0)
        return u"-"_s;
    return (bytes < 0 ? u"?"_s : byteSizeText(bytes)) + u" / "_s
        + (ms < 0 ? u"?"_s : lagDurationText(ms));
}

// A node's lag as the tools show it: only while the node is online or lagging. A failed node
// does not answer its probes and one taken out by hand is not probed, so their last figures are
// stale, not a lag.
inline bool isLagMeasured(const QPsqlHa::NodeStatus &node)
{
    return node.state == QPsqlHa::NodeState::Online || node.state == QPsqlHa::NodeState::Lagging;
}

inline QString nodeLagText(const QPsqlHa::NodeStatus &node)
{
    return isLagMeasured(node) ? lagText(node.lagBytes, node.lagMs) : QStringLiteral("-");
}

} // namespace QPsqlHaTools

#endif // QPSQLHATOOLS_LAGTEXT_H
