// Prints entries, schemas and every value of every bank of every event, read by gavalian/hipo.
// Floats as %.9g and doubles as %.17g, so each value parses back to the same bits.
#include "reader.h"
#include <cstdio>
int main(int argc, char** argv) {
  hipo::reader r;
  r.open(argv[1]);
  hipo::dictionary dict;
  r.readDictionary(dict);
  std::vector<std::string> names = dict.getSchemaList();
  printf("entries=%d\n", r.getEntries());
  for (auto& n : names) printf("schema %s\n", dict.getSchema(n.c_str()).getSchemaString().c_str());
  hipo::event ev;
  int i = 0;
  while (r.next()) {
    r.read(ev);
    printf("event %d\n", i++);
    for (auto& n : names) {
      hipo::schema& s = dict.getSchema(n.c_str());
      hipo::bank b(s);
      ev.getStructure(b);
      printf(" bank %s rows=%d\n", n.c_str(), b.getRows());
      for (int row = 0; row < b.getRows(); row++) {
        for (int c = 0; c < s.getEntries(); c++) {
          int t = s.getEntryType(c);
          std::string e = s.getEntryName(c);
          if (t == 1 || t == 2 || t == 3) printf(" %d", b.getInt(e.c_str(), row));
          else if (t == 8) printf(" %ld", b.getLong(e.c_str(), row));
          else if (t == 4) printf(" %.9g", b.getFloat(e.c_str(), row));
          else if (t == 5) printf(" %.17g", b.getDouble(e.c_str(), row));
        }
        printf("\n");
      }
    }
  }
  return 0;
}
