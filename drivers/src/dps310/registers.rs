//! Register map (datasheet §7 "Register Map").

pub const PSR_B2: u8 = 0x00;
pub const TMP_B2: u8 = 0x03;
pub const PRS_CFG: u8 = 0x06;
pub const MEAS_CFG: u8 = 0x08;
pub const CFG_REG: u8 = 0x09;
pub const RESET: u8 = 0x0C;
pub const PRODUCT_ID: u8 = 0x0D;
pub const COEF: u8 = 0x10;
pub const COEF_SRCE: u8 = 0x28;
/// TMP_CFG: use the external (MEMS) temperature sensor.
pub const TMP_EXT: u8 = 0b1000_0000;
/// MEAS_CFG status bits.
pub const COEF_RDY: u8 = 0b1000_0000;
pub const TMP_RDY: u8 = 0b0010_0000;
pub const PRS_RDY: u8 = 0b0001_0000;
/// CFG_REG: result shifts (needed above 8 times oversampling).
pub const T_SHIFT: u8 = 0b0000_1000;
pub const P_SHIFT: u8 = 0b0000_0100;
/// RESET: SOFT_RST = 1001.
pub const SOFT_RST: u8 = 0b0000_1001;
/// COEF_SRCE: the coefficients belong to the external sensor.
pub const TMP_COEF_SRCE: u8 = 0b1000_0000;
