// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHATOOLS_STATETEXT_H
#define QPSQLHATOOLS_STATETEXT_H

#include <qpsqlhastatus.h>

#include <QtCore/qstring.h>

namespace QPsqlHaTools {

// A node's state as the tools write it, with who keeps it out of service: offline by hand and
// offline by the fleet are separate reasons (docs/fleet.md), and a drained node is online but
// gets no reads. "offline: by hand", "offline: fleet", "offline: by hand+fleet",
// "online (drained)". (`--json` keeps the fields apart: state, offlineByHand, fleet.)
inline QString nodeStateDisplayText(const QPsqlHa::NodeStatus &node)
{
    using namespace Qt::StringLiterals;
    const QString state = QPsqlHa::nodeStateText(node.state);
    if (node.state == QPsqlHa::NodeState::OfflineByHand && node.fleetAdmin == "offline"_L1)
        return node.offlineByHand ? u"offline: by hand+fleet"_s : u"offline: fleet"_s;
    if (node.fleetAdmin == "drained"_L1)
        return state + u" (drained)"_s;
    return state;
}

} // namespace QPsqlHaTools

#endif // QPSQLHATOOLS_STATETEXT_H
