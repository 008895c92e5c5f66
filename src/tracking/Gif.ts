/** The 43-byte 1×1 GIF89a whose only pixel is transparent (graphic control extension, index 0). */
export const transparentGif: Uint8Array = Uint8Array.from(
  Buffer.from("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==", "base64")
)
