//! Helpers shared by the udrv example programs in this folder.
