"""Chat handlers of the WeChat domain itself: welcome, help and the fallbacks."""
