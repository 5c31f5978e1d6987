// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#ifndef QPSQLHA_H
#define QPSQLHA_H

#include <qpsqlhaapi.h>
#include <qpsqlhaconfig.h>
#include <qpsqlhaglobal.h>
#include <qpsqlhastatementclassifier.h>

#endif // QPSQLHA_H
