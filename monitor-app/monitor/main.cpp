// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

// qpsqlha-monitor: watches the applications that use QPSQLHA with the control channel on and
// lets operators take nodes out of service by hand.

#include "mainwindow.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qtimer.h>
#include <QtWidgets/qapplication.h>

#include <cstdio>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(u"QPSQLHA"_s);
    QCoreApplication::setApplicationName(u"qpsqlha-monitor"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(QPSQLHA_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main",
        "Shows the nodes of every application using QPSQLHA with the control channel on "
        "(QPSQLHA_CONTROL=1) and takes nodes offline or online by hand."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(
        u"screenshot"_s,
        QCoreApplication::translate("main",
                                    "Save a PNG of the window to <file> and quit (the window "
                                    "layout is neither restored nor saved)."),
        u"file"_s);
    const QCommandLineOption afterMs(
        u"after-ms"_s,
        QCoreApplication::translate("main", "With --screenshot: wait <ms> first (default 4000)."),
        u"ms"_s, u"4000"_s);
    parser.addOptions({screenshot, afterMs});
    parser.process(app);

    const bool shoot = parser.isSet(screenshot);
    QPsqlHaMonitor::MainWindow window(shoot ? QPsqlHaMonitor::MainWindow::Layout::Default
                                            : QPsqlHaMonitor::MainWindow::Layout::Remembered);
    window.show();

    if (shoot) {
        bool ok = false;
        const int delay = parser.value(afterMs).toInt(&ok);
        if (!ok || delay < 0) {
            std::fprintf(stderr, "qpsqlha-monitor: --after-ms wants a number of milliseconds\n");
            return 2;
        }
        const QString file = parser.value(screenshot);
        QTimer::singleShot(delay, &window, [&window, file] {
            if (!window.saveScreenshot(file)) {
                std::fprintf(stderr, "qpsqlha-monitor: cannot write %s\n", qPrintable(file));
                QCoreApplication::exit(1);
                return;
            }
            QCoreApplication::exit(0);
        });
    }
    return app.exec();
}
