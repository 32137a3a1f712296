fn main() {
    innerdesk::ui::start();
}
