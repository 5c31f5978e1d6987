# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# gnuplot -e "datafile='chart.dat'; outfile='chart.png'" plot.gp
# Throughput per case and target, from the columns summarize.py derives from the results JSON.

set terminal pngcairo size 1000,560 font "sans,11" noenhanced
set output outfile
set title "QPSQLHA vs QPSQL vs pgpool-II: median throughput (2 cores, loopback)"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border -1
set boxwidth 0.95
set ylabel "thousand statements per second"
set yrange [0:*]
set grid ytics
set key below horizontal maxcols 2
set xtics nomirror
plot datafile using 2:xtic(1) title "QPSQL direct to primary" lc rgb "#7f7f7f", \
     '' using 3 title "QPSQLHA (primary + 2 readers)" lc rgb "#1f77b4", \
     '' using 4 title "QPSQL via pgpool-II" lc rgb "#d62728", \
     '' using 5 title "control: QPSQL, client splits over 2 readers" lc rgb "#bcbd22"
