// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHATOOLS_ROLETEXT_H
#define QPSQLHATOOLS_ROLETEXT_H

#include <qpsqlhastatus.h>

#include <QtCore/qstring.h>

// How qpsqlha-ctl and qpsqlha-monitor write a node's role, so that both say alike that the
// primary takes reads (QPSQLHA_PRIMARY_READS=1). `--json` keeps `role` and `servesReads` apart,
// exactly as the process sends them.
namespace QPsqlHaTools {

// "reader", "primary", or "primary+reads" for a primary in the read pool.
inline QString nodeRoleDisplayText(const QPsqlHa::NodeStatus &node)
{
    using namespace Qt::StringLiterals;
    if (node.role == QPsqlHa::NodeRole::Reader)
        return u"reader"_s;
    return node.servesReads ? u"primary+reads"_s : u"primary"_s;
}

} // namespace QPsqlHaTools

#endif // QPSQLHATOOLS_ROLETEXT_H
