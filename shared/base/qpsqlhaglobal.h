// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHAGLOBAL_H
#define QPSQLHAGLOBAL_H

#include <QtCore/qglobal.h>

#if defined(QPSQLHA_BUILD_CORE)
#define QPSQLHA_EXPORT Q_DECL_EXPORT
#else
#define QPSQLHA_EXPORT Q_DECL_IMPORT
#endif

// The Control library (control protocol, client, status types): linked by the operators' tools
// without the core, so it exports its own symbols.
#if defined(QPSQLHA_BUILD_CONTROL)
#define QPSQLHA_CONTROL_EXPORT Q_DECL_EXPORT
#else
#define QPSQLHA_CONTROL_EXPORT Q_DECL_IMPORT
#endif

#endif // QPSQLHAGLOBAL_H
