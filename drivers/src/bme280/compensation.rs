//! The datasheet's integer compensation formulas (BME280 datasheet §4.2.3 and §8.2:
//! `BME280_compensate_T_int32`, `BME280_compensate_P_int64`, `bme280_compensate_H_int32`),
//! transcribed operation for operation. Shifts of negative numbers are arithmetic, as the
//! datasheet assumes.

use super::types::Calibration;

/// Fine temperature (`t_fine`), carried from the temperature into the other formulas.
pub fn t_fine(c: &Calibration, adc_t: i32) -> i32 {
    let t1 = c.t1 as i32;
    let var1 = (((adc_t >> 3) - (t1 << 1)) * c.t2 as i32) >> 11;
    let var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * c.t3 as i32) >> 14;
    var1 + var2
}

/// Temperature in 0.01 °C ("5123" is 51.23 °C).
pub fn temperature(t_fine: i32) -> i32 {
    (t_fine * 5 + 128) >> 8
}

/// Pressure in Pa as Q24.8 ("24674867" is 24674867/256 = 96386.2 Pa); 0 if the
/// calibration would divide by zero.
pub fn pressure(c: &Calibration, t_fine: i32, adc_p: i32) -> u32 {
    let mut var1 = t_fine as i64 - 128000;
    let mut var2 = var1 * var1 * c.p6 as i64;
    var2 += (var1 * c.p5 as i64) << 17;
    var2 += (c.p4 as i64) << 35;
    var1 = ((var1 * var1 * c.p3 as i64) >> 8) + ((var1 * c.p2 as i64) << 12);
    var1 = (((1i64 << 47) + var1) * c.p1 as i64) >> 33;
    if var1 == 0 {
        return 0;
    }
    let mut p: i64 = 1048576 - adc_p as i64;
    p = (((p << 31) - var2) * 3125) / var1;
    var1 = (c.p9 as i64 * (p >> 13) * (p >> 13)) >> 25;
    var2 = (c.p8 as i64 * p) >> 19;
    p = ((p + var1 + var2) >> 8) + ((c.p7 as i64) << 4);
    p as u32
}

/// Relative humidity in %RH as Q22.10 ("47445" is 47445/1024 = 46.333 %RH).
pub fn humidity(c: &Calibration, t_fine: i32, adc_h: i32) -> u32 {
    let mut v = t_fine - 76800;
    v = ((((adc_h << 14) - ((c.h4 as i32) << 20) - (c.h5 as i32 * v)) + 16384) >> 15)
        * (((((((v * c.h6 as i32) >> 10) * (((v * c.h3 as i32) >> 11) + 32768)) >> 10) + 2097152)
            * c.h2 as i32
            + 8192)
            >> 14);
    v -= ((((v >> 15) * (v >> 15)) >> 7) * c.h1 as i32) >> 4;
    v = v.clamp(0, 419430400);
    (v >> 12) as u32
}
