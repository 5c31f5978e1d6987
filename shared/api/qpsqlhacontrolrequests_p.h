// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONTROLREQUESTS_P_H
#define QPSQLHACONTROLREQUESTS_P_H

//
//  W A R N I N G
//  -------------
//
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhacontrolprotocol_p.h"

// What a control request does to this process: the application's side of the control channel.
// The protocol library only encodes and decodes; this reaches the cluster registry.
namespace QPsqlHa {

// This process as the protocol shows it: every cluster, node state and counters.
QPSQLHA_EXPORT ProcessStatus currentProcessStatus();

// Runs a parsed request against this process's node state and returns the reply.
QPSQLHA_EXPORT QJsonObject executeControlRequest(const ControlProtocol::Request &request);

} // namespace QPsqlHa

#endif // QPSQLHACONTROLREQUESTS_P_H
