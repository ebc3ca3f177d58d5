/*
 * Every applet, sorted: APPLET(name, "one-line description").
 * Adding an applet is a line here and applets/NAME.c; main.c and the
 * Makefile both read this table.
 */
APPLET(getserv,    "map service names to port numbers and back")
APPLET(tcpconnect, "connect to a TCP server: pipe stdin and stdout, or run a program")
