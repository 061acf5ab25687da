//! Bit-level behavioural model of the MCP3008 / MCP3208, written from the datasheet
//! (figures 6-1 / 6-2) without the driver's framing: with CS low, leading zeros are
//! ignored, the first 1 is the start bit, then SGL/DIFF and D2..D0; the input is sampled
//! on the next clock (DOUT high impedance, modelled as 1), a null bit (0) follows, then
//! the result MSB first, then again LSB first (B1..), then zeros. Code =
//! floor(2^bits × VIN / VREF), clamped; a negative differential input gives 0.

use crate::sim::SpiTarget;
use crate::Voltage;

#[derive(Debug, Clone, Copy)]
enum State {
    WaitStart,
    Config { bits: u8, got: u8 },
    Output { step: u32, code: u16 },
}

/// An MCP3008 or MCP3208.
#[derive(Debug)]
pub struct Mcp3x08Model {
    bits: u32,
    vref_uv: i64,
    inputs: [i64; 8],
    state: State,
    conversions: u32,
}

impl Mcp3x08Model {
    /// An MCP3008 with VREF in µV.
    pub fn mcp3008(vref_uv: u32) -> Self {
        Self::new(10, vref_uv)
    }

    /// An MCP3208 with VREF in µV.
    pub fn mcp3208(vref_uv: u32) -> Self {
        Self::new(12, vref_uv)
    }

    fn new(bits: u32, vref_uv: u32) -> Self {
        Self {
            bits,
            vref_uv: vref_uv as i64,
            inputs: [0; 8],
            state: State::WaitStart,
            conversions: 0,
        }
    }

    /// Set the voltage at CHn against AGND.
    pub fn set_input(&mut self, n: usize, v: Voltage) {
        self.inputs[n] = v.0 as i64;
    }

    /// Conversions done so far.
    pub fn conversions(&self) -> u32 {
        self.conversions
    }

    fn sample(&mut self, config: u8) -> u16 {
        self.conversions += 1;
        let sgl = config & 0b1000 != 0;
        let d = (config & 0b0111) as usize;
        let vin = if sgl {
            self.inputs[d]
        } else {
            // pairs: D0 = 0 -> CH(2k)+ CH(2k+1)-, D0 = 1 -> CH(2k)- CH(2k+1)+
            let (p, m) = if d % 2 == 0 { (d, d + 1) } else { (d, d - 1) };
            self.inputs[p] - self.inputs[m]
        };
        let full = 1i64 << self.bits;
        ((vin * full).div_euclid(self.vref_uv)).clamp(0, full - 1) as u16
    }

    fn clock(&mut self, mosi: bool) -> bool {
        match self.state {
            State::WaitStart => {
                if mosi {
                    self.state = State::Config { bits: 0, got: 0 };
                }
                true
            }
            State::Config { bits, got } => {
                let bits = bits << 1 | mosi as u8;
                self.state = if got + 1 == 4 {
                    let code = self.sample(bits);
                    State::Output { step: 0, code }
                } else {
                    State::Config { bits, got: got + 1 }
                };
                true
            }
            State::Output { step, code } => {
                self.state = State::Output {
                    step: step + 1,
                    code,
                };
                let n = self.bits;
                match step {
                    0 => true,  // sample clock: DOUT still high impedance
                    1 => false, // null bit
                    s if s < 2 + n => code >> (n - 1 - (s - 2)) & 1 != 0,
                    s if s < 2 + 2 * n - 1 => code >> (s - (2 + n) + 1) & 1 != 0,
                    _ => false,
                }
            }
        }
    }
}

impl SpiTarget for Mcp3x08Model {
    fn select(&mut self) {
        self.state = State::WaitStart;
    }

    fn transfer(&mut self, mosi: u8) -> u8 {
        let mut miso = 0;
        for i in (0..8).rev() {
            let out = self.clock(mosi >> i & 1 != 0);
            miso |= (out as u8) << i;
        }
        miso
    }

    fn deselect(&mut self) {
        self.state = State::WaitStart;
    }
}
