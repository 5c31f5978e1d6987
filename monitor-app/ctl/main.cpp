// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// qpsqlha-ctl: the operators' command line for applications that use QPSQLHA. It lists their
// nodes, takes nodes out of service and back, adds and removes readers, and watches state
// changes, over the control channel each application serves on a local socket
// (docs/control-protocol.md).

#include "ctlcommandline.h"
#include "ctlcommands.h"
#include "ctlfleet.h"
#include "ctlwatch.h"

#include <QtCore/qcoreapplication.h>

using namespace Qt::StringLiterals;
using namespace QPsqlHaCtl;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"qpsqlha-ctl"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(QPSQLHA_CTL_VERSION));

    // The fleet commands go to PostgreSQL, through qpsqlha-fleet (docs/fleet.md).
    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() > 1 && arguments.at(1) == "fleet"_L1)
        return runFleet(arguments.mid(2));

    Options options;
    int exitCode = ExitSuccess;
    if (!parseCommandLine(QCoreApplication::arguments(), &options, &exitCode))
        return exitCode;

    switch (options.command) {
    case Command::List:
        return runList(options);
    case Command::Offline:
    case Command::Online:
        return runSetState(options);
    case Command::AddReader:
        return runAddReader(options);
    case Command::RemoveNode:
        return runRemoveNode(options);
    case Command::Watch:
        return runWatch(options);
    case Command::Metrics:
        return runMetrics(options);
    }
    return ExitFailure;
}
