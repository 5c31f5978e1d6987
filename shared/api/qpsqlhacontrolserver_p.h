// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHACONTROLSERVER_P_H
#define QPSQLHACONTROLSERVER_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include <qpsqlhaglobal.h>

#include <QtCore/qmutex.h>
#include <QtCore/qstring.h>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace QPsqlHa {

class ControlWorker;

// The application's side of the control channel (docs/control-protocol.md): a QLocalServer at
// <runtime dir>/qpsqlha/<pid>.sock, served from a thread of its own so that it answers while
// the application's threads are busy or have no event loop. Started on demand, once per process.
class QPSQLHA_EXPORT ControlServer
{
    Q_DISABLE_COPY_MOVE(ControlServer)
public:
    static ControlServer &instance();

    // True if the environment variable QPSQLHA_CONTROL asks for the control channel.
    static bool requestedByEnvironment();

    // Starts serving unless already serving. Returns false (and why) if the socket could not be
    // created; the application keeps working without the channel then.
    bool ensureRunning(QString *errorMessage);
    bool isRunning() const;
    QString socketPath() const;

private:
    ControlServer();
    ~ControlServer();

    mutable QMutex m_mutex;
    QThread *m_thread = nullptr;
    ControlWorker *m_worker = nullptr;
    QString m_socketPath;
};

} // namespace QPsqlHa

#endif // QPSQLHACONTROLSERVER_P_H
