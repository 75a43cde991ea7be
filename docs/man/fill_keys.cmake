# fill_keys.cmake - puts the generated key list into bounceseal.conf(5).
# Called by docs/CMakeLists.txt with IN, KEYS, OUT and VERSION defined.
file(READ ${IN} page)
file(READ ${KEYS} keys)
string(REPLACE "@CONFIG_KEYS@\n" "${keys}" page "${page}")
string(REPLACE "@VERSION@" "${VERSION}" page "${page}")
file(WRITE ${OUT} "${page}")
