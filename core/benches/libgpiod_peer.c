// SPDX-License-Identifier: MIT OR Apache-2.0
//
// libgpiod 2.x's C library as a peer of udrv in `core/benches/guest_bench.rs`
// (`cargo xtask vmbench`): each function runs N operations through libgpiod's own calls,
// the way a C program using libgpiod would, so the Rust benchmark times whole loops and
// pays one call across the language boundary per loop, not per operation.
//
// `cargo xtask vmbench` compiles this file against the headers of bookworm-backports'
// `libgpiod-dev` (`xtask/src/peers.rs`) and links it with that package's `libgpiod.a`
// into the static benchmark (`core/build.rs`, when `UDRV_LIBGPIOD` names the folder).
// Every function returns a negative number on error with `errno` set by libgpiod.

#include <errno.h>
#include <gpiod.h>
#include <stddef.h>

// Requests one line of the chip at `path` for `consumer`: an output driven inactive
// (`output` non-zero), or an input with edge detection on both edges and the kernel's
// event queue `event_buffer_size` deep (0: the kernel's default). NULL on error.
struct gpiod_line_request *udrv_lg_request(const char *path, unsigned int offset,
					   int output, size_t event_buffer_size,
					   const char *consumer)
{
	struct gpiod_line_request *request = NULL;
	struct gpiod_request_config *req_cfg = NULL;
	struct gpiod_line_settings *settings = NULL;
	struct gpiod_line_config *line_cfg = NULL;
	struct gpiod_chip *chip;
	int saved;

	chip = gpiod_chip_open(path);
	if (!chip)
		return NULL;
	settings = gpiod_line_settings_new();
	line_cfg = gpiod_line_config_new();
	req_cfg = gpiod_request_config_new();
	if (!settings || !line_cfg || !req_cfg)
		goto out;
	if (output) {
		if (gpiod_line_settings_set_direction(settings,
						      GPIOD_LINE_DIRECTION_OUTPUT) ||
		    gpiod_line_settings_set_output_value(settings,
							 GPIOD_LINE_VALUE_INACTIVE))
			goto out;
	} else {
		if (gpiod_line_settings_set_direction(settings,
						      GPIOD_LINE_DIRECTION_INPUT) ||
		    gpiod_line_settings_set_edge_detection(settings,
							   GPIOD_LINE_EDGE_BOTH))
			goto out;
	}
	if (gpiod_line_config_add_line_settings(line_cfg, &offset, 1, settings))
		goto out;
	gpiod_request_config_set_consumer(req_cfg, consumer);
	gpiod_request_config_set_event_buffer_size(req_cfg, event_buffer_size);
	request = gpiod_chip_request_lines(chip, req_cfg, line_cfg);
out:
	saved = errno;
	gpiod_request_config_free(req_cfg);
	gpiod_line_config_free(line_cfg);
	gpiod_line_settings_free(settings);
	gpiod_chip_close(chip);
	errno = saved;
	return request;
}

// Releases a request (closes its file descriptor).
void udrv_lg_release(struct gpiod_line_request *request)
{
	gpiod_line_request_release(request);
}

// `n` calls of `gpiod_line_request_set_value`, active and inactive in turn (the first
// active). 0, or -1 at the first failure.
int udrv_lg_toggle(struct gpiod_line_request *request, unsigned int offset,
		   unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		enum gpiod_line_value v = (k & 1) == 0 ? GPIOD_LINE_VALUE_ACTIVE :
							  GPIOD_LINE_VALUE_INACTIVE;
		if (gpiod_line_request_set_value(request, offset, v))
			return -1;
	}
	return 0;
}

// `n` calls of `gpiod_line_request_get_value`: the number of them that read active, or
// -1 at the first failure.
long udrv_lg_read(struct gpiod_line_request *request, unsigned int offset,
		  unsigned int n)
{
	long active = 0;

	for (unsigned int k = 0; k < n; k++) {
		enum gpiod_line_value v = gpiod_line_request_get_value(request, offset);
		if (v == GPIOD_LINE_VALUE_ERROR)
			return -1;
		active += v == GPIOD_LINE_VALUE_ACTIVE;
	}
	return active;
}

// A buffer for `capacity` edge events (`gpiod_edge_event_buffer_new`). NULL on error.
struct gpiod_edge_event_buffer *udrv_lg_buffer_new(size_t capacity)
{
	return gpiod_edge_event_buffer_new(capacity);
}

// Frees a buffer of `udrv_lg_buffer_new`.
void udrv_lg_buffer_free(struct gpiod_edge_event_buffer *buffer)
{
	gpiod_edge_event_buffer_free(buffer);
}

// Reads `n` edge events (blocking) through `gpiod_line_request_read_edge_events` into
// `buffer`, as many per call as it holds, and takes each event's line sequence number.
// Returns their sum (so nothing is optimised away, and the caller can check that `n`
// consecutive events came: 1 + 2 + ... + n on a fresh request), or -1 at the first
// failure.
long udrv_lg_read_events(struct gpiod_line_request *request,
			 struct gpiod_edge_event_buffer *buffer, unsigned int n)
{
	size_t capacity = gpiod_edge_event_buffer_get_capacity(buffer);
	unsigned long seqnos = 0;
	unsigned int got = 0;

	while (got < n) {
		size_t want = n - got < capacity ? n - got : capacity;
		int r = gpiod_line_request_read_edge_events(request, buffer, want);
		if (r <= 0)
			return -1;
		for (int i = 0; i < r; i++) {
			struct gpiod_edge_event *ev =
				gpiod_edge_event_buffer_get_event(buffer, i);
			seqnos += gpiod_edge_event_get_line_seqno(ev);
		}
		got += (unsigned int)r;
	}
	return (long)seqnos;
}

// The version of the linked library (`gpiod_api_version`).
const char *udrv_lg_version(void)
{
	return gpiod_api_version();
}
