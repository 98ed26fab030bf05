// Placeholder: the service desk's workbench reminders are being written.
export {}
