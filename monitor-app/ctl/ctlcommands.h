// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLCOMMANDS_H
#define CTLCOMMANDS_H

#include "ctlcommandline.h"

namespace QPsqlHaCtl {

// The one-shot commands. They block on each process in turn (no event loop) and return the
// exit status.
int runList(const Options &options);
int runSetState(const Options &options); // offline, online
int runAddReader(const Options &options);
int runRemoveNode(const Options &options);
// Every node of every process as an OpenMetrics / Prometheus exposition (ctlmetrics.h).
int runMetrics(const Options &options);

// What to tell an operator who finds no process: the channel is opt-in.
QString noProcessHint();

} // namespace QPsqlHaCtl

#endif // CTLCOMMANDS_H
