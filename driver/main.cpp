// Copyright (C) 2026 The QPSQLHA authors.
// SPDX-License-Identifier: LGPL-3.0-only

#include "qsqlpsqlhadriver_p.h"

#include <QtSql/qsqldriverplugin.h>

QT_BEGIN_NAMESPACE

using namespace Qt::StringLiterals;

class QPsqlHaDriverPlugin : public QSqlDriverPlugin
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID "org.qt-project.Qt.QSqlDriverFactoryInterface" FILE "psqlha.json")

public:
    QSqlDriver *create(const QString &name) override
    {
        if (name == "QPSQLHA"_L1)
            return new QPsqlHaDriver;
        return nullptr;
    }
};

QT_END_NAMESPACE

#include "main.moc"
