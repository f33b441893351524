"""The desk of coordinators and practice managers: their actions, chat commands, files in
and out, the inbox, alerts, and the NHS return."""
