"""The resident query kiosk (政策及工作流程查询机): screens, lockdown, idle reset, staff exit."""
