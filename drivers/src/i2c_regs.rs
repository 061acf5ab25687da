//! The register read most I2C drivers do (write the register address, then read the
//! register and the ones after it in one transaction with a repeated START), written
//! once with its async twin for `call!` in `dual_impl!` bodies:
//! `call!(read_regs / read_regs_async(&mut self.i2c, address, REG))`.

use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// `N` bytes read from register `reg` on (the chip at) `address`.
pub(crate) fn read_regs<I: I2c, const N: usize>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<[u8; N], I::Error> {
    let mut b = [0; N];
    i2c.write_read(address, &[reg], &mut b).map(|()| b)
}

/// Async version of [`read_regs`].
pub(crate) async fn read_regs_async<I: AsyncI2c, const N: usize>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<[u8; N], I::Error> {
    let mut b = [0; N];
    i2c.write_read(address, &[reg], &mut b).await.map(|()| b)
}

/// The value of register `reg` on (the chip at) `address`.
pub(crate) fn read_u8<I: I2c>(i2c: &mut I, address: u8, reg: u8) -> Result<u8, I::Error> {
    read_regs(i2c, address, reg).map(|[b]| b)
}

/// Async version of [`read_u8`].
pub(crate) async fn read_u8_async<I: AsyncI2c>(
    i2c: &mut I,
    address: u8,
    reg: u8,
) -> Result<u8, I::Error> {
    read_regs_async(i2c, address, reg).await.map(|[b]| b)
}
