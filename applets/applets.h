/*
 * Every applet, sorted: APPLET(name, "one-line description").
 * Adding an applet is a line here and applets/NAME.c; main.c and the
 * Makefile both read this table.
 */
APPLET(getserv,    "map service names to port numbers and back")
APPLET(udpsend,    "send datagrams, optionally waiting for replies")
APPLET(udpserve,   "receive datagrams: print, echo or run a program for each")
