/*
 * Following a log file by byte offset (peers contract): the DEA rotates an instance log by
 * renaming the full file to NAME.1 and starting an empty one, so a file shorter than what was
 * already printed is a new file, read again from byte 0.
 */
#include "logfollow.h"

cli_lf_action_t cli_log_follow(uint64_t offset, long status, size_t body_len, uint64_t *ret_skip)
{
    *ret_skip = 0;
    switch (status) {
    case 206: /* the bytes from offset on */
        return CLI_LF_PRINT;
    case 200: /* the whole file (a server without Range) */
        if (body_len < offset)
            return CLI_LF_ROTATED_PRINT;
        *ret_skip = offset;
        return CLI_LF_PRINT;
    case 416: /* offset is past the end: the file was rotated and is shorter now */
        return offset > 0 ? CLI_LF_REFETCH : CLI_LF_NONE;
    default:
        return CLI_LF_NONE;
    }
}
