"""The money trail: delivered hours signed off by the practice, pay worked out once, expenses,
and payroll's timesheets."""
