# Copyright (C) 2026 The QPSQLHA authors.
# SPDX-License-Identifier: LGPL-3.0-only
#
# gnuplot -e "datafile='chart.dat'; outfile='chart.png'" plot-capacity.gp
# Read capacity per case relative to QPSQL direct (median bar, lowest and highest round), from the
# columns capacity.py derives from capacity-results.json.

set terminal pngcairo size 1000,520 font "sans,11" noenhanced
set output outfile
set title "Read capacity per CPU of the busiest node, relative to QPSQL direct (8 threads)"
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel "capacity / QPSQL direct"
set yrange [0:*]
set grid ytics
set xtics nomirror rotate by -30
set key top left
plot datafile using 0:2:xtic(1) with boxes lc rgb "#1f77b4" title "median of the rounds", \
     '' using 0:2:3:4 with yerrorbars lc rgb "#000000" pt 0 title "lowest / highest round", \
     1 with lines dt 2 lc rgb "#7f7f7f" title "QPSQL direct", \
     2 with lines dt 3 lc rgb "#d62728" title "2 readers"
