// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlwatch.h"

#include <qpsqlhamessages_p.h>

#include "ctlcommands.h"

#include <qpsqlhacontrolclient.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qsocketnotifier.h>

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

constexpr int DiscoveryIntervalMs = 1000;

// The write end of a self-pipe: a signal handler may only do async-signal-safe things, so it
// writes one byte and the event loop does the rest.
int signalPipeWriteEnd = -1;

void onTerminationSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(signalPipeWriteEnd, &byte, 1);
}

} // namespace

Watcher::Watcher(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
{
    m_discovery.setInterval(DiscoveryIntervalMs);
    connect(&m_discovery, &QTimer::timeout, this, &Watcher::discover);
}

void Watcher::start()
{
    m_discovery.start();
    QTimer::singleShot(0, this, &Watcher::discover);
}

void Watcher::discover()
{
    QList<QPsqlHa::ControlEndpoint> endpoints = QPsqlHa::discoverControlEndpoints();
    if (m_options.pid) {
        endpoints.removeIf([this](const QPsqlHa::ControlEndpoint &endpoint) {
            return endpoint.pid != *m_options.pid;
        });
    }
    QSet<qint64> present;
    for (const QPsqlHa::ControlEndpoint &endpoint : std::as_const(endpoints)) {
        present.insert(endpoint.pid);
        if (!m_watched.contains(endpoint.pid))
            watch(endpoint);
    }
    // A pid that came back after its process ended is a new process: report it afresh.
    m_unreachable.intersect(present);

    if (endpoints.isEmpty() && m_watched.isEmpty() && !m_hinted) {
        printError(noProcessHint() + QPsqlHa::Messages::tr(" Waiting for one."));
        m_hinted = true;
    }
}

void Watcher::watch(const QPsqlHa::ControlEndpoint &endpoint)
{
    const qint64 pid = endpoint.pid;
    auto *client = new QPsqlHa::ControlClient(this);
    if (!client->connectToProcess(endpoint.socketPath, m_options.timeoutMs)) {
        if (!m_unreachable.contains(pid)) {
            printError(QPsqlHa::Messages::tr("pid %1: cannot watch: %2")
                           .arg(QString::number(pid), client->errorString()));
            m_unreachable.insert(pid);
        }
        delete client;
        return;
    }
    m_watched.insert(pid, Watched {client, QString(), false});

    connect(client, &QPsqlHa::ControlClient::processStatusReceived, this,
            [this, pid](const QPsqlHa::ProcessStatus &status) {
                auto it = m_watched.find(pid);
                if (it == m_watched.end() || it->subscribed)
                    return; // later snapshots only refresh counters, which watch does not show
                it->subscribed = true;
                it->application = status.application;
                m_unreachable.remove(pid);
                printError(u"watching "_s + processLabel(pid, status.application));
            });
    connect(client, &QPsqlHa::ControlClient::stateChanged, this, &Watcher::report);
    connect(client, &QPsqlHa::ControlClient::requestFailed, this,
            [this, pid](const QString &code, const QString &message) {
                forget(pid,
                       QPsqlHa::Messages::tr("refused to subscribe: %1: %2").arg(code, message));
            });
    connect(client, &QPsqlHa::ControlClient::disconnected, this, [this, pid] {
        forget(pid,
               QPsqlHa::Messages::tr("no longer watched: the process ended or closed the channel"));
        // An ending process closes its channel a moment before it is gone, so the next
        // discovery may still see its socket and be refused: that is not worth a message.
        m_unreachable.insert(pid);
    });
    // A process that accepts the connection but never answers must not be held forever; it is
    // dropped and tried again at the next discovery, quietly.
    QTimer::singleShot(m_options.timeoutMs, client, [this, pid] {
        auto it = m_watched.find(pid);
        if (it == m_watched.end() || it->subscribed)
            return;
        const bool reported = m_unreachable.contains(pid);
        m_unreachable.insert(pid);
        forget(pid,
               reported ? QString() : QPsqlHa::Messages::tr("no answer to subscribe; skipped"));
    });
    client->subscribe();
}

void Watcher::forget(qint64 pid, const QString &why)
{
    const auto it = m_watched.find(pid);
    if (it == m_watched.end())
        return;
    const Watched watched = *it;
    m_watched.erase(it);
    watched.client->disconnect(this);
    // Called from the client's own signals: it must outlive them.
    watched.client->deleteLater();
    if (!why.isEmpty() && !m_finished)
        printError(processLabel(pid, watched.application) + u": "_s + why);
}

void Watcher::report(const QPsqlHa::StateEvent &event)
{
    if (m_finished)
        return;
    if (m_options.json)
        printLine(stateEventJson(event));
    else
        printLine(stateEventLine(event, m_watched.value(event.pid).application));
    if (m_options.count > 0 && ++m_events >= m_options.count) {
        m_finished = true;
        Q_EMIT finished(ExitSuccess);
    }
}

int runWatch(const Options &options)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        printError(QPsqlHa::Messages::tr("cannot create a pipe: %1").arg(qt_error_string(errno)));
        return ExitFailure;
    }
    signalPipeWriteEnd = fds[1];
    struct sigaction action = {};
    action.sa_handler = onTerminationSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    // Being interrupted is how watch is meant to end, so it is a success.
    QSocketNotifier notifier(fds[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [fd = fds[0]] {
        char byte;
        while (::read(fd, &byte, 1) > 0) { }
        QCoreApplication::exit(ExitSuccess);
    });

    Watcher watcher(options);
    QObject::connect(&watcher, &Watcher::finished, QCoreApplication::instance(),
                     [](int exitCode) { QCoreApplication::exit(exitCode); });
    watcher.start();
    return QCoreApplication::exec();
}

} // namespace QPsqlHaCtl
