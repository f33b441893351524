"""The desk: actions, imports and exports, alerts, the report (flows/desk/)."""
