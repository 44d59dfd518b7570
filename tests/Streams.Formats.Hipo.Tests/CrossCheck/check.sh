#!/bin/sh
# Re-creates TestData/cpp-check.dump.txt: builds a dump tool against the gavalian/hipo C++
# library and lets it read TestData/cpp-check.hipo (written by our HipoWriter; the test
# CppCrossCheckTests checks the writer still writes exactly those bytes).
#   usage: check.sh /path/to/gavalian/hipo [liblz4.so]
set -eu
HIPO=$1
LZ4=${2:-/usr/lib/x86_64-linux-gnu/liblz4.so.1}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(mktemp -d)
INC="-I$HIPO/hipo4"
[ -f /usr/include/lz4.h ] || INC="$INC -I$HERE"
for f in reader record event bank dictionary utils node parser; do
  g++ -std=c++17 -O1 -D__LZ4__ $INC -c "$HIPO/hipo4/$f.cpp" -o "$BUILD/$f.o"
done
g++ -std=c++17 -O1 -D__LZ4__ $INC "$HERE/dump.cpp" "$BUILD"/*.o "$LZ4" -lpthread -o "$BUILD/dump"
"$BUILD/dump" "$HERE/../TestData/cpp-check.hipo" > "$HERE/../TestData/cpp-check.dump.txt"
echo "wrote TestData/cpp-check.dump.txt ($(wc -l < "$HERE/../TestData/cpp-check.dump.txt") lines)"
