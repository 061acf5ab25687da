//! What may sit at an I2C address, and what answers there, for a `probe`/`scan` command.
//! The address options come from the one chip list, [`kinds`](crate::kinds): [`Chip`]
//! names the families a probe tells apart.
//!
//! Two levels:
//!
//! - [`answers`] and [`identify`] (blocking): what `udrv probe` does at each address,
//!   driven by each kind's [`Identification`](crate::kinds::Identification): the
//!   registers it names are read (a register pointer written, then a read: never a value
//!   or a command) and matched, in [`REGISTER_ORDER`]; where a candidate takes any written
//!   byte as data or a command (I/O expanders, the BH1750, I2C switches, EEPROMs) only
//!   plain reads are sent. The result is a [`Finding`]: the kind or a [`Guess`], with the
//!   values that showed it ([`Evidence`], in words by [`Finding::evidence_text`]).
//! - [`Prober`] (blocking and async): presence, and the BME280/BMP280's ID register
//!   (0xD0) at 0x76/0x77, the one address where every candidate tolerates that read.
//!   The SHTC3's ID takes a command; [`Prober::identify_shtc3`] sends it, on request
//!   only.

use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use crate::kinds::ChipKind;

mod identify;
pub use identify::{
    answers, identify, Call, Evidence, Finding, Guess, PLAIN_READ_KINDS, REGISTER_ORDER,
};

/// A chip family this crate drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Chip {
    /// LM75 family (module `lm75`), 0x48..=0x4F.
    Lm75,
    /// TMP102 (module `lm75`), 0x48..=0x4B.
    Tmp102,
    /// AT24 EEPROMs (module `at24`), 0x50..=0x57.
    At24,
    /// BME280 (module `bme280`), 0x76, 0x77.
    Bme280,
    /// BMP280 (module `bme280`), 0x76, 0x77.
    Bmp280,
    /// SHT3x (module `sht3x`), 0x44, 0x45.
    Sht3x,
    /// ADS1115 / ADS1015 (module `ads1x1x`), 0x48..=0x4B.
    Ads1x1x,
    /// INA219 (module `ina219`), 0x40..=0x4F.
    Ina219,
    /// PCA9685 (module `pca9685`), 0x40..=0x77 except 0x70 (all-call); see
    /// [`ChipKind::Pca9685`].
    Pca9685,
    /// DS3231 (module `ds3231`), 0x68.
    Ds3231,
    /// MCP23017 (module `mcp23017`), 0x20..=0x27.
    Mcp23017,
    /// PCA9554 / PCA9535 (module `pca95xx`), 0x20..=0x27; PCA9554A 0x38..=0x3F.
    Pca95xx,
    /// BH1750 (module `bh1750`), 0x23, 0x5C. It has no ID register: only a candidate.
    Bh1750,
    /// SHTC3 (module `shtc3`), 0x70. Its ID register is read by a command:
    /// [`Prober::identify_shtc3`], never by [`Prober::identify`].
    Shtc3,
}

impl Chip {
    /// Every chip family.
    pub const ALL: [Chip; 14] = [
        Chip::Lm75,
        Chip::Tmp102,
        Chip::At24,
        Chip::Bme280,
        Chip::Bmp280,
        Chip::Sht3x,
        Chip::Ads1x1x,
        Chip::Ina219,
        Chip::Pca9685,
        Chip::Ds3231,
        Chip::Mcp23017,
        Chip::Pca95xx,
        Chip::Bh1750,
        Chip::Shtc3,
    ];

    /// A short lower-case name (`bme280`, `at24`, ...), as a CLI would accept it.
    pub fn name(self) -> &'static str {
        match self {
            Chip::Lm75 => "lm75",
            Chip::Tmp102 => "tmp102",
            Chip::At24 => "at24",
            Chip::Bme280 => "bme280",
            Chip::Bmp280 => "bmp280",
            Chip::Sht3x => "sht3x",
            Chip::Ads1x1x => "ads1115",
            Chip::Ina219 => "ina219",
            Chip::Pca9685 => "pca9685",
            Chip::Ds3231 => "ds3231",
            Chip::Mcp23017 => "mcp23017",
            Chip::Pca95xx => "pca9554",
            Chip::Bh1750 => "bh1750",
            Chip::Shtc3 => "shtc3",
        }
    }

    /// The kind of the one chip list ([`kinds`](crate::kinds)) whose address options the
    /// family has (a family's chips share them: `Ads1x1x` is [`ChipKind::Ads1115`]'s).
    pub fn kind(self) -> ChipKind {
        match self {
            Chip::Lm75 => ChipKind::Lm75,
            Chip::Tmp102 => ChipKind::Tmp102,
            Chip::At24 => ChipKind::At24c32,
            Chip::Bme280 | Chip::Bmp280 => ChipKind::Bme280,
            Chip::Sht3x => ChipKind::Sht3x,
            Chip::Ads1x1x => ChipKind::Ads1115,
            Chip::Ina219 => ChipKind::Ina219,
            Chip::Pca9685 => ChipKind::Pca9685,
            Chip::Ds3231 => ChipKind::Ds3231,
            Chip::Mcp23017 => ChipKind::Mcp23017,
            Chip::Pca95xx => ChipKind::Pca9554,
            Chip::Bh1750 => ChipKind::Bh1750,
            Chip::Shtc3 => ChipKind::Shtc3,
        }
    }

    /// Whether the chip can answer at `address` (its datasheet's address options, from
    /// [`kind`](Self::kind)).
    pub fn can_be_at(self, address: u8) -> bool {
        self.kind().can_be_at(address)
    }

    /// The chips that can answer at `address`.
    pub fn candidates(address: u8) -> impl Iterator<Item = Chip> {
        Self::ALL.into_iter().filter(move |c| c.can_be_at(address))
    }
}

/// Identifies chips by ID register.
#[derive(Debug)]
pub struct Prober<I2C> {
    i2c: I2C,
}

impl<I2C> Prober<I2C> {
    /// A prober on `i2c`.
    pub fn new(i2c: I2C) -> Self {
        Self { i2c }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }
}

/// At 0x76/0x77 every candidate (BME280, BMP280, PCA9685) tolerates a pointer write and
/// a one-byte read: on a PCA9685 it reads an LED register.
fn id_register(address: u8) -> Option<u8> {
    (address == 0x76 || address == 0x77).then_some(0xD0)
}

fn chip_for_id(id: u8) -> Option<Chip> {
    match id {
        0x60 => Some(Chip::Bme280),
        0x58 => Some(Chip::Bmp280),
        _ => None,
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Prober<I2C>
    where
        I2C: I2c,
    {
        /// Whether something acknowledges `address` (a zero-length write, SMBus quick
        /// write; any bus error counts as absent).
        #[asynch(is_present_async)]
        pub fn is_present(&mut self, address: u8) -> bool {
            io!(self.i2c.write(address, &[])).is_ok()
        }

        /// Read the ID register of the chips that have one at `address`: `Ok(Some(chip))`
        /// when it matches, `Ok(None)` when the address has no ID-register chip or the value
        /// is unknown, `Err` when the bus fails (for example nothing answers).
        #[asynch(identify_async)]
        pub fn identify(&mut self, address: u8) -> Result<Option<Chip>, I2C::Error> {
            let Some(reg) = id_register(address) else {
                return Ok(None);
            };
            let mut id = [0];
            io!(self.i2c.write_read(address, &[reg], &mut id))?;
            Ok(chip_for_id(id[0]))
        }

        /// Whether an SHTC3 answers at 0x70: send its read-ID command (0xEFC8), read the ID
        /// and its CRC; `Ok(Some(Chip::Shtc3))` when the CRC matches and the ID has the
        /// SHTC3's bits, `Ok(None)` otherwise, `Err` when the bus fails (nothing answers, or
        /// the SHTC3 sleeps: it NACKs until woken up).
        ///
        /// Unlike [`identify`](Self::identify) this **writes a command**: a PCA9546A/PCA9548A
        /// I2C switch (module `pca954x`, 0x70 by default) takes the written bytes as its
        /// control register and connects channels. Call it only on a bus where no switch can
        /// sit at 0x70.
        #[asynch(identify_shtc3_async)]
        pub fn identify_shtc3(&mut self) -> Result<Option<Chip>, I2C::Error> {
            use crate::shtc3::{commands::READ_ID, is_shtc3_id, ADDRESS};
            let mut d = [0; 3];
            io!(self.i2c.write(ADDRESS, &READ_ID.to_be_bytes()))?;
            io!(self.i2c.read(ADDRESS, &mut d))?;
            let id = crate::sensirion::checked_word(&d);
            Ok(id.filter(|&id| is_shtc3_id(id)).map(|_| Chip::Shtc3))
        }
    }
});
