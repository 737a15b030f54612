"""Provisioning modules: each one speaks one remote system's protocol (a control panel, a DNS
server, a registry). `base` holds the interface; `registry` finds a module by name."""
