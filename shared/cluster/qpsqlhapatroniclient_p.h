// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAPATRONICLIENT_P_H
#define QPSQLHAPATRONICLIENT_P_H

//
//  W A R N I N G
//  -------------
// This file is not part of the QPSQLHA API. It may change from version to version.
//

#include "qpsqlhapatronitopology_p.h"
#include <qpsqlhaconnectoptions_p.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qstring.h>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkReply;
QT_END_NAMESPACE

// The HTTP side of following Patroni: requests to its REST API through Qt Network, with the
// server certificate checked against the system CAs or QPSQLHA_PATRONI_CA and basic auth from
// QPSQLHA_PATRONI_USER and the password of the environment. No topology logic here.
namespace QPsqlHa {

// How long one request may take: one health interval, within 1..5 s.
int patroniRequestTimeoutMs(const ClusterSettings &settings);

// GET `baseUrl` + `path` ("/cluster", "/patroni") with the settings' TLS and auth. The reply
// belongs to `network`.
QNetworkReply *getFromPatroni(QNetworkAccessManager &network, const PatroniSettings &settings,
                              const QString &baseUrl, const QString &path, int timeoutMs);

// A finished reply's body, or false and *error (transport error, TLS, HTTP status not 200, a
// body over MaximumPatroniDocumentSize).
bool patroniReplyBody(QNetworkReply *reply, QByteArray *body, QString *error);

// `patroni.scope` from the body of GET /patroni; empty if it is not there.
QString patroniScopeFromStatus(const QByteArray &json);

// One synchronous round, for a cluster given no node to start from: GET /cluster from each
// endpoint in turn until one answers with a usable document, then its scope from /patroni.
// Runs a local event loop in the calling thread. On success *url is the endpoint that
// answered; on failure *error names every endpoint's problem.
bool fetchPatroniTopology(const ClusterSettings &settings, PatroniTopology *topology, QString *url,
                          QString *scope, QString *error);

} // namespace QPsqlHa

#endif // QPSQLHAPATRONICLIENT_P_H
