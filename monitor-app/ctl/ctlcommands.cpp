// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "ctlcommands.h"

#include <qpsqlhacontrolclient.h>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace QPsqlHaCtl {

namespace {

struct ReachedProcess
{
    QPsqlHa::ControlEndpoint endpoint;
    // Kept connected: offline/online send their change on the connection that listed.
    std::unique_ptr<QPsqlHa::ControlClient> client;
    QPsqlHa::ProcessStatus status;
};

QString pidList(const QList<QPsqlHa::ControlEndpoint> &endpoints)
{
    QStringList pids;
    for (const QPsqlHa::ControlEndpoint &endpoint : endpoints)
        pids.append(QString::number(endpoint.pid));
    return pids.join(u", "_s);
}

enum class Reach {
    Some, // at least one process answered
    NoProcess, // no socket at all (stale ones were removed silently)
    NoSuchPid, // --pid names none of them; reported
    NoAnswer, // there are processes, none answered; each reported
};

// Finds the processes (only --pid if given) and lists each. A process that does not answer
// within the timeout is reported and left out, so one hung application cannot stop the
// operator from acting on the others.
Reach reachProcesses(const Options &options, std::vector<ReachedProcess> *reached)
{
    QList<QPsqlHa::ControlEndpoint> endpoints = QPsqlHa::discoverControlEndpoints();
    if (endpoints.isEmpty())
        return Reach::NoProcess;
    if (options.pid) {
        const QList<QPsqlHa::ControlEndpoint> all = endpoints;
        endpoints.removeIf(
            [&](const QPsqlHa::ControlEndpoint &endpoint) { return endpoint.pid != *options.pid; });
        if (endpoints.isEmpty()) {
            printError(u"no process with pid %1 serves the control channel (found %2 %3)"_s.arg(
                QString::number(*options.pid), all.size() == 1 ? u"pid"_s : u"pids"_s,
                pidList(all)));
            return Reach::NoSuchPid;
        }
    }
    std::sort(endpoints.begin(), endpoints.end(),
              [](const auto &left, const auto &right) { return left.pid < right.pid; });

    for (const QPsqlHa::ControlEndpoint &endpoint : endpoints) {
        ReachedProcess process;
        process.endpoint = endpoint;
        process.client = std::make_unique<QPsqlHa::ControlClient>();
        if (!process.client->connectToProcess(endpoint.socketPath, options.timeoutMs)
            || !process.client->list(&process.status, options.timeoutMs)) {
            printError(u"pid %1: skipped: %2"_s.arg(QString::number(endpoint.pid),
                                                    process.client->errorString()));
            continue;
        }
        reached->push_back(std::move(process));
    }
    return reached->empty() ? Reach::NoAnswer : Reach::Some;
}

const QPsqlHa::ClusterStatus *findCluster(const QPsqlHa::ProcessStatus &process,
                                          const QString &name)
{
    for (const QPsqlHa::ClusterStatus &cluster : process.clusters) {
        if (cluster.name == name)
            return &cluster;
    }
    return nullptr;
}

QString stateAfterLine(bool online, bool changed, QPsqlHa::NodeState before,
                       const QPsqlHa::NodeStatus &after)
{
    const QString now = QPsqlHa::nodeStateText(after.state);
    if (changed)
        return QPsqlHa::nodeStateText(before) + u" -> "_s + now;
    const QPsqlHa::NodeState wanted
        = online ? QPsqlHa::NodeState::Online : QPsqlHa::NodeState::OfflineByHand;
    if (after.state == wanted)
        return u"already "_s + now;
    // `online` only undoes `offline`; a failed node comes back through the health checker.
    return u"unchanged, %1 (only a node taken offline by hand can be put online; the health "
           "checker brings it back when it answers)"_s.arg(now);
}

} // namespace

QString noProcessHint()
{
    return u"no QPSQLHA process found in %1. Applications serve their node state only with "
           "the control channel on: start them with QPSQLHA_CONTROL=1 in the environment (or "
           "the connect option QPSQLHA_CONTROL=1), as the same user as qpsqlha-ctl."_s.arg(
               QPsqlHa::controlSocketDirectory());
}

int runList(const Options &options)
{
    std::vector<ReachedProcess> reached;
    const Reach reach = reachProcesses(options, &reached);
    if (reach == Reach::NoProcess)
        printError(noProcessHint());

    QList<QPsqlHa::ProcessStatus> processes;
    for (const ReachedProcess &process : reached)
        processes.append(process.status);
    if (options.json)
        printLine(processesJson(processes));
    else if (!processes.isEmpty())
        printLine(nodeTable(processes).join(u'\n'));

    // Nothing running is a valid answer; asking for a pid that is not there, or every process
    // failing to answer, is not.
    return reach == Reach::NoSuchPid || reach == Reach::NoAnswer ? ExitFailure : ExitSuccess;
}

int runSetState(const Options &options)
{
    const bool online = options.command == Command::Online;
    std::vector<ReachedProcess> reached;
    switch (reachProcesses(options, &reached)) {
    case Reach::Some:
        break;
    case Reach::NoProcess:
        printError(noProcessHint());
        return ExitFailure;
    case Reach::NoSuchPid:
        return ExitFailure;
    case Reach::NoAnswer:
        printError(u"no process answered; nothing changed"_s);
        return ExitFailure;
    }

    // Which processes have the cluster, and which of those the node. The messages name what
    // exists, so that a typo is obvious.
    QStringList knownClusters;
    std::vector<ReachedProcess *> withCluster;
    for (ReachedProcess &process : reached) {
        for (const QPsqlHa::ClusterStatus &cluster : process.status.clusters) {
            const QString known = u"%1 (pid %2)"_s.arg(cluster.name).arg(process.status.pid);
            if (!knownClusters.contains(known))
                knownClusters.append(known);
        }
        if (findCluster(process.status, options.cluster))
            withCluster.push_back(&process);
    }
    if (withCluster.empty()) {
        printError(u"no process has a cluster named '%1'; known clusters: %2"_s.arg(
            options.cluster, knownClusters.isEmpty() ? u"none"_s : knownClusters.join(u", "_s)));
        return ExitFailure;
    }

    struct Target
    {
        ReachedProcess *process;
        QPsqlHa::NodeStatus node;
    };
    std::vector<Target> targets;
    QStringList knownNodes;
    for (ReachedProcess *process : withCluster) {
        for (const QPsqlHa::NodeStatus &node :
             findCluster(process->status, options.cluster)->nodes) {
            if (!knownNodes.contains(node.address))
                knownNodes.append(node.address);
            if (isSameNode(options.node, node))
                targets.push_back({process, node});
        }
    }
    if (targets.empty()) {
        printError(u"cluster '%1' has no node %2; its nodes: %3"_s.arg(
            options.cluster, options.node.text, knownNodes.join(u", "_s)));
        return ExitFailure;
    }

    int status = ExitSuccess;
    for (const Target &target : targets) {
        ReachedProcess &process = *target.process;
        const QString prefix = u"%1: cluster %2 node %3: "_s.arg(
            processLabel(process.status.pid, process.status.application), options.cluster,
            target.node.address);
        bool changed = false;
        QPsqlHa::NodeStatus after;
        // The node's own spelling from the listing: the server compares addresses as text.
        if (!process.client->setNodeOnline(options.cluster, target.node.address, online, &changed,
                                           &after, options.timeoutMs)) {
            printError(prefix + u"failed: "_s + process.client->errorString());
            status = ExitFailure;
            continue;
        }
        printLine(prefix + stateAfterLine(online, changed, target.node.state, after));
    }
    return status;
}

} // namespace QPsqlHaCtl
