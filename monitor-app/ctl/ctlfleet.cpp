// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlfleet.h"

#include "ctlcommandline.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfileinfo.h>
#include <QtCore/qprocess.h>

#include <csignal>
#include <cstdio>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

QProcess *g_child = nullptr;

// Ctrl+C ends `fleet watch` as it ends `watch`: the child gets the signal and ends cleanly.
void forwardSignal(int signal)
{
    if (g_child && g_child->processId() > 0)
        ::kill(pid_t(g_child->processId()), signal);
}

} // namespace

int runFleet(const QStringList &arguments)
{
    const QString program
        = QDir(QCoreApplication::applicationDirPath()).filePath(u"qpsqlha-fleet"_s);
    if (!QFileInfo(program).isExecutable()) {
        fprintf(stderr, "qpsqlha-ctl: %s not found; it comes with qpsqlha-ctl\n",
                qPrintable(QDir::toNativeSeparators(program)));
        return ExitFailure;
    }
    QProcess child;
    // Its output goes straight to ours: lines appear as they come (fleet watch).
    child.setProcessChannelMode(QProcess::ForwardedChannels);
    child.setInputChannelMode(QProcess::ForwardedInputChannel);
    g_child = &child;
    std::signal(SIGINT, forwardSignal);
    std::signal(SIGTERM, forwardSignal);
    child.start(program, arguments);
    if (!child.waitForStarted()) {
        fprintf(stderr, "qpsqlha-ctl: cannot run %s: %s\n", qPrintable(program),
                qPrintable(child.errorString()));
        g_child = nullptr;
        return ExitFailure;
    }
    child.waitForFinished(-1);
    g_child = nullptr;
    if (child.exitStatus() != QProcess::NormalExit)
        return ExitFailure;
    return child.exitCode();
}

} // namespace QPsqlHaCtl
