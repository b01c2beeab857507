"""The ground floor: errors meant for people, the settings' declarations, points in time, paths, the machine, the
device, progress bars and tensor helpers. Imports nothing else of vidstyle."""
