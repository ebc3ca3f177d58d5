/*
 * Every applet, sorted: APPLET(name, "one-line description").
 * Adding an applet is a line here and applets/NAME.c; main.c and the
 * Makefile both read this table.
 */
APPLET(fqdn,       "print the fully qualified domain name of a host")
APPLET(getserv,    "map service names to port numbers and back")
APPLET(resolve,    "map host names to addresses and addresses to names")
APPLET(tcpconnect, "connect to a TCP server: pipe stdin and stdout, or run a program")
APPLET(tcpserve,   "a TCP server: relay, a program per connection, echo, broker")
APPLET(udpsend,    "send datagrams, optionally waiting for replies")
APPLET(udpserve,   "receive datagrams: print, echo or run a program for each")
