// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef CTLCOMMANDLINE_H
#define CTLCOMMANDLINE_H

#include "ctlformat.h"
#include "ctlmetrics.h"

#include <QtCore/qstringlist.h>

#include <optional>

namespace QPsqlHaCtl {

// Scripts tell "nothing matched" from "called wrongly" by the exit status.
enum ExitCode { ExitSuccess = 0, ExitFailure = 1, ExitUsage = 2 };

enum class Command { List, Offline, Online, AddReader, RemoveNode, Watch, Metrics };

struct Options
{
    Command command = Command::List;
    bool json = false;
    std::optional<qint64> pid;
    int count = 0; // watch: stop after this many events; 0: until interrupted
    int timeoutMs = 2000;
    QString cluster; // offline, online, add-reader, remove-node
    NodeAddress node; // offline, online, add-reader, remove-node
    MetricsFormat metricsFormat = MetricsFormat::OpenMetrics; // metrics --format
};

// Fills *options and returns true when there is a command to run. Otherwise help, the version
// or a usage error has been printed and *exitCode says how to end.
bool parseCommandLine(const QStringList &arguments, Options *options, int *exitCode);

} // namespace QPsqlHaCtl

#endif // CTLCOMMANDLINE_H
